import type { ConnectReport } from './connect_all.js'

/**
 * A load scenario in three phases, so a driver can hold the sockets open between them (to
 * read a server's memory with N idle sockets, or to start several generator processes'
 * traffic at once). Reports are plain JSON: they cross process boundaries.
 */
export interface Scenario<RunReport extends object = object> {
  /** Opens every socket and completes its handshake. */
  connect(): Promise<ConnectReport>
  /** The traffic itself; bounded in time. */
  run(): Promise<RunReport>
  /** Closes every socket. */
  close(): Promise<void>
}

/** Loopback only: this generator is for servers on the same machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new Error(`refusing to load ${host}: the load generator only targets loopback addresses`)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Uniform random integer in [min, max]. */
export const between = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1))
