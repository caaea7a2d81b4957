import WebSocket from 'ws'

/**
 * The inspector URL a process started with `--inspect=127.0.0.1:0` printed on stderr, if any.
 */
export function inspectorUrl(stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1]
}

/**
 * Runs a full garbage collection in another Node process through its inspector (DevTools
 * protocol `HeapProfiler.collectGarbage`): memory readings then count live objects, not
 * garbage that has not been collected yet, and the server needs no endpoint for it.
 */
export async function collectGarbage(url: string): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector: no reply to collectGarbage in 10 s')), 10_000)
      ws.on('message', (data: Buffer) => {
        const reply = JSON.parse(data.toString()) as { id?: number; error?: { message: string } }
        if (reply.id !== 1) return
        clearTimeout(timer)
        if (reply.error) reject(new Error(`inspector: ${reply.error.message}`))
        else resolve()
      })
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }))
    })
  } finally {
    ws.close()
  }
}
