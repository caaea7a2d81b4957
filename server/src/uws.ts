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
  const fallback = require.resolve('uWebSockets.js/dist/index.js')
  if (require.cache[fallback]) {
    throw new Error(
      `uWebSockets.js loaded its ws fallback: no native binary for ${process.platform}-${process.arch} ` +
        `with Node ABI ${process.versions.modules}. Use Node.js 20 on linux/darwin x64/arm64.`,
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
