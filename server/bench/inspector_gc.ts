import WebSocket from 'ws'

/**
 * The inspector URL a process started with `--inspect=127.0.0.1:0` printed on stderr, if any.
 */
export function inspectorUrl(stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1]
}

/** Calls DevTools protocol methods, in order, in another Node process; resolves with the last result. */
async function inspect(url: string, methods: string[]): Promise<unknown> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  try {
    let result: unknown
    for (const [i, method] of methods.entries()) {
      result = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`inspector: no reply to ${method} in 10 s`)), 10_000)
        const onMessage = (data: Buffer) => {
          const reply = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } }
          if (reply.id !== i + 1) return
          clearTimeout(timer)
          ws.off('message', onMessage)
          if (reply.error) reject(new Error(`inspector: ${reply.error.message}`))
          else resolve(reply.result)
        }
        ws.on('message', onMessage)
        ws.send(JSON.stringify({ id: i + 1, method }))
      })
    }
    return result
  } finally {
    ws.close()
  }
}

/**
 * Runs a full garbage collection in another Node process through its inspector (DevTools
 * protocol `HeapProfiler.collectGarbage`): memory readings then count live objects, not
 * garbage that has not been collected yet, and the server needs no endpoint for it.
 * Resolves with the bytes of JS heap in use after it (`Runtime.getHeapUsage`): unlike RSS,
 * that figure does not depend on what the allocator keeps or returns to the system.
 */
export async function collectGarbage(url: string): Promise<number> {
  const usage = (await inspect(url, ['HeapProfiler.collectGarbage', 'Runtime.getHeapUsage'])) as { usedSize: number }
  return usage.usedSize
}
