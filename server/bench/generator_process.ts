import { spawn, type ChildProcess } from 'node:child_process'
import type { GeneratorCommand, GeneratorReport } from '../../loadtest/generator/cli.js'

/**
 * One load generator process (loadtest/generator/cli.ts) driven over IPC, phase by phase:
 * the bench holds its sockets open between `connect` and `close` to measure the server.
 * Each process has its own fd limit, so large socket counts are split over several.
 */
export class GeneratorProcess {
  private readonly reports: GeneratorReport[] = []
  private waiter: (() => void) | undefined
  private readonly exited: Promise<number | null>

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: GeneratorReport) => {
      this.reports.push(m)
      this.waiter?.()
    })
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        resolve(code)
        this.waiter?.()
      }),
    )
  }

  /** Starts `cli.ts SCENARIO ARGS...`; its stderr goes to ours (progress and failures). */
  static start(scenario: string, args: Record<string, string | number>): GeneratorProcess {
    const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])
    const child = spawn(process.execPath, ['--import', 'tsx', 'loadtest/generator/cli.ts', scenario, ...argv], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    return new GeneratorProcess(child)
  }

  private async next<P extends GeneratorReport['phase']>(phase: P): Promise<Extract<GeneratorReport, { phase: P }>> {
    for (;;) {
      const report = this.reports.shift()
      if (report?.phase === 'failed') throw new Error(`load generator failed: ${report.error}`)
      if (report?.phase === phase) return report as Extract<GeneratorReport, { phase: P }>
      if (report) continue
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`load generator exited (${this.child.exitCode ?? this.child.signalCode}) before '${phase}'`)
      await new Promise<void>((resolve) => (this.waiter = resolve))
    }
  }

  private command(c: GeneratorCommand): void {
    if (this.child.connected) this.child.send(c)
  }

  /** Resolves with the connect report once every socket is open (or failed). */
  async connected<R = object>(): Promise<R> {
    return (await this.next('connected')).report as R
  }

  async run<R = object>(): Promise<R> {
    this.command('run')
    return (await this.next('ran')).report as R
  }

  /** Closes the sockets and waits for the process to exit. */
  async close(): Promise<void> {
    this.command('close')
    await Promise.race([this.next('closed').catch(() => undefined), this.exited])
    await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 5000))])
    this.kill()
  }

  /** Ends the process at once (cleanup after an error). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}
