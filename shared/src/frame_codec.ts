import { Packr, Unpackr } from 'msgpackr'
import { FrameError } from './frame_parser.js'
import { ERROR_CODE, SUBPROTOCOL, type Subprotocol } from './protocol.js'

/** Raised when bytes cannot be decoded into a frame: a protocol violation (close 4000). */
export class FrameDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameDecodeError'
  }
}

// Plain maps and arrays only: no records, structured-clone extensions or class instances from clients.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false })
// msgpackr's extensions (Date, Set, RegExp, Error, typed arrays, undefined) are registered
// globally and cannot be switched off, so decoded values are checked by plainValue(). int64
// within the safe range is a number (some encoders use int64 for small ints); beyond it a BigInt.
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  // 'auto' is implemented (unpack.js) but missing from msgpackr's type definitions.
  int64AsType: 'auto' as string as 'number',
})

/** What plainValue() found that JSON could not carry, or undefined for a plain value. */
function foreignValue(value: unknown): string | undefined {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const item = stack.pop()
    if (item === null || typeof item === 'string' || typeof item === 'boolean') continue
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return String(item)
      continue
    }
    if (typeof item !== 'object') return typeof item
    if (Array.isArray(item)) {
      stack.push(...item)
      continue
    }
    if (Object.getPrototypeOf(item) !== Object.prototype) return Object.prototype.toString.call(item).slice(8, -1)
    stack.push(...Object.values(item))
  }
  return undefined
}

/**
 * A msgpack frame holds what a JSON frame can: maps, arrays, strings, finite numbers,
 * booleans and null. Anything else (BigInt, Set, Date, RegExp, binary, undefined, NaN…) is
 * a bad request (`bad_frame`), not undecodable bytes.
 */
function plainValue(value: unknown): unknown {
  const foreign = foreignValue(value)
  if (foreign !== undefined) {
    throw new FrameError(
      ERROR_CODE.badFrame,
      `frames hold maps, arrays, strings, numbers, booleans and null only, not ${foreign}`,
    )
  }
  return value
}
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

  /**
   * The frame as plain data. Throws FrameDecodeError for bytes that are not one JSON or
   * msgpack value (a protocol violation) and FrameError `bad_frame` for a msgpack value of a
   * type JSON has no form for (a bad request).
   */
  decode(data: ArrayBuffer | Uint8Array, isBinary: boolean): unknown {
    if (isBinary !== this.binary) {
      throw new FrameDecodeError(`${this.subprotocol} expects ${this.binary ? 'binary' : 'text'} frames`)
    }
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    let values: unknown[]
    try {
      if (!this.binary) return JSON.parse(decoder.decode(bytes))
      values = unpackr.unpackMultiple(bytes) as unknown[]
    } catch (error) {
      throw new FrameDecodeError(`undecodable ${this.binary ? 'msgpack' : 'JSON'}: ${(error as Error).message}`)
    }
    if (values.length !== 1)
      throw new FrameDecodeError(`undecodable msgpack: expected one value per frame, got ${values.length}`)
    return plainValue(values[0])
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
