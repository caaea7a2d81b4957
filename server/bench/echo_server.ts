/**
 * The bench's baseline: a bare uWebSockets.js echo server (same native build and import as
 * beckon, same socket settings), so "CPU per event" and "memory per socket" can be read as
 * beckon's cost over uWS itself. Run as its own process; prints
 * `{"msg":"echo listening","port":N}` on stdout. Env ECHO_PORT (0).
 */
import { LIMIT_DEFAULTS } from '../src/config.js'
import { uws } from '../src/uws.js'
import { chooseSubprotocol } from '../../shared/src/frame_codec.js'

const app = uws.App()
app.ws('/*', {
  maxPayloadLength: LIMIT_DEFAULTS.maxFrameBytes * 4,
  idleTimeout: LIMIT_DEFAULTS.idleTimeoutSeconds,
  sendPingsAutomatically: true,
  maxBackpressure: LIMIT_DEFAULTS.maxBackpressureBytes * 2,
  closeOnBackpressureLimit: 0,
  upgrade: (res, req, context) => {
    const protocols = req.getHeader('sec-websocket-protocol')
    res.upgrade(
      {},
      req.getHeader('sec-websocket-key'),
      protocols ? (chooseSubprotocol(protocols) ?? '') : '',
      req.getHeader('sec-websocket-extensions'),
      context,
    )
  },
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary)
  },
})
app.listen('127.0.0.1', Number(process.env.ECHO_PORT ?? 0), (socket) => {
  if (!socket) {
    process.stderr.write('echo server: cannot listen\n')
    process.exit(1)
  }
  process.stdout.write(`${JSON.stringify({ msg: 'echo listening', port: uws.us_socket_local_port(socket) })}\n`)
})
process.once('SIGTERM', () => process.exit(0))
