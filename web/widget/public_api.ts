import type { BeckonWidget } from './beckon_widget.js'

/** `window.beckon` after load: callable with a command name, or through its methods. */
export interface BeckonApi {
  (command: string, ...args: unknown[]): unknown
  setContext(data: Record<string, unknown>): void
  identify(user: { id: string; hash: string; name?: string; email?: string }): void
  on: BeckonWidget['on']
  open(): void
  close(): void
  /** Marks the real API (the embed stub has only `q`). */
  loaded: true
}

/** The embed snippet's stub: collects calls made before the widget loaded. */
interface BeckonStub {
  (...args: unknown[]): void
  q?: ArrayLike<unknown>[]
}

declare global {
  interface Window {
    beckon?: BeckonApi | BeckonStub
  }
}

/**
 * Replaces the snippet's queue stub with the API and replays the queued calls in order.
 * A queued call that fails is reported on the console and does not stop the others.
 */
export function installApi(widget: BeckonWidget): BeckonApi {
  const methods = {
    setContext: (data: unknown) => widget.setContext(data),
    identify: (user: unknown) => widget.identify(user),
    on: ((name, listener) => widget.on(name, listener)) as BeckonWidget['on'],
    open: () => widget.open(),
    close: () => widget.close(),
  }
  const call = (command: unknown, ...args: unknown[]): unknown => {
    const method =
      typeof command === 'string' && Object.hasOwn(methods, command)
        ? methods[command as keyof typeof methods]
        : undefined
    if (!method) throw new TypeError(`beckon: unknown command ${JSON.stringify(command)}`)
    return (method as (...a: unknown[]) => unknown)(...args)
  }
  const api = Object.assign(call, methods, { loaded: true as const }) as BeckonApi
  const queued = (window.beckon as BeckonStub | undefined)?.q ?? []
  window.beckon = api
  for (const args of queued) {
    try {
      const [command, ...rest] = Array.from(args)
      call(command, ...rest)
    } catch (error) {
      console.error(error)
    }
  }
  return api
}
