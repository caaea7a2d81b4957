import { createRequire } from 'node:module'
import type * as UwsModule from 'uWebSockets.js'

const require = createRequire(import.meta.url)

/**
 * Loads uWebSockets.js (the @trufflesuite build, aliased). That package silently falls back
 * to a slow `ws`-based emulation when its native binary does not load; beckon refuses to run
 * on it, since every limit and benchmark assumes the native server.
 */
function loadNative(): typeof UwsModule {
  if (/^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    throw new Error('UWS_USE_FALLBACK is set: beckon requires the native uWebSockets.js, not its ws fallback')
  }
  const uws = require('uWebSockets.js') as typeof UwsModule
  let fallback: string | undefined
  try {
    fallback = require.resolve('uWebSockets.js/dist/index.js')
  } catch {
    // An official uWebSockets.js release: no ws fallback, it throws by itself without a binary.
  }
  if (fallback && require.cache[fallback]) {
    throw new Error(
      `uWebSockets.js loaded its ws fallback: no native binary for ${process.platform}-${process.arch} ` +
        `with Node ABI ${process.versions.modules}. Start beckon through deploy/node_runtime.sh (the Makefile ` +
        'does), which picks a Node that has one (README, "Node.js versions").',
    )
  }
  return uws
}

export const uws = loadNative()
export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  WebSocketBehavior,
  us_listen_socket,
} from 'uWebSockets.js'
