/**
 * How clients (widget, console) send and show typing indicators: while the user types, one
 * `typing on` at most every TYPING_RESEND_MS, and one `typing off` when the text is sent,
 * emptied, or left alone for TYPING_IDLE_MS. The receiver shows the indicator until `off`, a
 * message from that side, or TYPING_SHOWN_MS without a fresh `on` (an `off` may be lost or
 * dropped by the server's throttle).
 */
export const TYPING_RESEND_MS = 3_000
export const TYPING_IDLE_MS = 5_000
export const TYPING_SHOWN_MS = 6_000

/** Turns composer input into `typing` frames per the policy above. */
export class TypingSender {
  private sentAt = 0
  private on = false
  private idle: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly send: (on: boolean) => void) {}

  /** The composer's text is now `text`. */
  input(text: string): void {
    clearTimeout(this.idle)
    if (!text.trim()) return this.stop()
    const now = Date.now()
    if (!this.on || now - this.sentAt >= TYPING_RESEND_MS) {
      this.on = true
      this.sentAt = now
      this.send(true)
    }
    this.idle = setTimeout(() => this.stop(), TYPING_IDLE_MS)
  }

  /** Sent, emptied, idle or left: one `off` if an `on` went out. */
  stop(): void {
    clearTimeout(this.idle)
    if (!this.on) return
    this.on = false
    this.send(false)
  }
}
