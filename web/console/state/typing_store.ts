import { signal } from '@preact/signals'
import { TYPING_SHOWN_MS, TypingSender } from '../../../shared/src/typing_policy.js'
import type { OperatorAction } from './operator_connection.js'

/**
 * Typing indicators of the console: which conversations' visitors are typing now (until
 * `off`, their message, or TYPING_SHOWN_MS without a fresh `on`), and this operator's own
 * typing, sent for the conversation being composed in (per shared/src/typing_policy.ts).
 */
export class TypingStore {
  /** Conversations whose visitor is typing. */
  readonly visitors = signal<ReadonlySet<string>>(new Set())
  private readonly timers = new Map<string, number>()
  private composing: { conversation: string; sender: TypingSender } | undefined

  constructor(private readonly send: (action: OperatorAction) => boolean) {}

  /** A `typing` frame, or `on: false` for the visitor's message. */
  visitor(conversation: string, on: boolean): void {
    window.clearTimeout(this.timers.get(conversation))
    this.timers.delete(conversation)
    if (on)
      this.timers.set(
        conversation,
        window.setTimeout(() => this.visitor(conversation, false), TYPING_SHOWN_MS),
      )
    if (this.visitors.value.has(conversation) === on) return
    const next = new Set(this.visitors.value)
    if (on) next.add(conversation)
    else next.delete(conversation)
    this.visitors.value = next
  }

  /** The operator's draft in `conversation` is now `text`. */
  compose(conversation: string, text: string): void {
    if (this.composing?.conversation !== conversation) {
      this.composing?.sender.stop()
      this.composing = { conversation, sender: new TypingSender((on) => this.send({ t: 'typing', conversation, on })) }
    }
    this.composing.sender.input(text)
  }

  /** The draft was sent or abandoned. */
  stop(): void {
    this.composing?.sender.stop()
  }
}
