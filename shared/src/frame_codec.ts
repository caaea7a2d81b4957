import { Packr } from 'msgpackr'
import { SUBPROTOCOL, type Subprotocol } from './protocol.js'

/** Raised when bytes cannot be decoded into a frame: a protocol violation (close 4000). */
export class FrameDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameDecodeError'
  }
}

// Plain maps and arrays only: no records, structured-clone extensions or class instances from clients.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false })
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Picks the subprotocol from a `Sec-WebSocket-Protocol` header; JSON when none is offered. */
export function chooseSubprotocol(header: string): Subprotocol | undefined {
  const offered = header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (offered.length === 0) return SUBPROTOCOL.json
  if (offered.includes(SUBPROTOCOL.json)) return SUBPROTOCOL.json
  if (offered.includes(SUBPROTOCOL.msgpack)) return SUBPROTOCOL.msgpack
  return undefined
}

/** Encodes and decodes frames for one subprotocol: JSON in text frames, msgpack in binary frames. */
export class FrameCodec {
  readonly binary: boolean

  constructor(readonly subprotocol: Subprotocol) {
    this.binary = subprotocol === SUBPROTOCOL.msgpack
  }

  decode(data: ArrayBuffer | Uint8Array, isBinary: boolean): unknown {
    if (isBinary !== this.binary) {
      throw new FrameDecodeError(`${this.subprotocol} expects ${this.binary ? 'binary' : 'text'} frames`)
    }
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    try {
      if (!this.binary) return JSON.parse(decoder.decode(bytes))
      const values = packr.unpackMultiple(bytes) as unknown[]
      if (values.length !== 1) throw new Error(`expected one value per frame, got ${values.length}`)
      return values[0]
    } catch (error) {
      throw new FrameDecodeError(`undecodable ${this.binary ? 'msgpack' : 'JSON'}: ${(error as Error).message}`)
    }
  }

  encode(frame: object): string | Uint8Array {
    return this.binary ? packr.pack(frame) : JSON.stringify(frame)
  }
}

export const JSON_CODEC = new FrameCodec(SUBPROTOCOL.json)
const MSGPACK_CODEC = new FrameCodec(SUBPROTOCOL.msgpack)

/** The shared (stateless) codec of a subprotocol. */
export function codecFor(subprotocol: Subprotocol): FrameCodec {
  return subprotocol === SUBPROTOCOL.msgpack ? MSGPACK_CODEC : JSON_CODEC
}
