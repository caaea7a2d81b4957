/** How long until() waits by default: generous, since a 2-core CI machine runs tests in parallel. */
const WAIT_MS = 15_000

/**
 * Polls `probe` every 10 ms until it gives something other than undefined/false, and returns
 * that. For state changed by socket callbacks, where no promise exists to await.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  waitMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
