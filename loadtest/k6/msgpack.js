// A small msgpack codec for k6 scripts (subprotocol beckon.v1.msgpack): k6's JS runtime has
// no TextEncoder and no npm modules, and beckon frames need only the plain types: nil, booleans,
// numbers, strings, arrays and maps (bin decodes to a Uint8Array; ext types are refused).
// Integers go out in the smallest msgpack int that holds them, other numbers as float64.

/** UTF-8 bytes of a JS string (surrogate pairs joined; a lone surrogate becomes U+FFFD). */
function utf8(text, out) {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00)
        i++
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd
    if (c < 0x80) out.push(c)
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63))
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63))
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63))
  }
}

function uint(out, value, bytes) {
  for (let shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out.push(Math.floor(value / 2 ** shift) & 0xff)
}

function header(out, length, fix, fixMax, codes) {
  if (length <= fixMax && fix !== undefined) out.push(fix | length)
  else if (length < 0x100 && codes[0] !== undefined) out.push(codes[0], length)
  else if (length < 0x10000) out.push(codes[1], length >> 8, length & 0xff)
  else {
    out.push(codes[2])
    uint(out, length, 4)
  }
}

const float = new DataView(new ArrayBuffer(8))

function encodeValue(value, out) {
  if (value === null || value === undefined) out.push(0xc0)
  else if (value === false) out.push(0xc2)
  else if (value === true) out.push(0xc3)
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      if (value >= 0) {
        if (value < 0x80) out.push(value)
        else if (value < 0x100) out.push(0xcc, value)
        else if (value < 0x10000) out.push(0xcd, value >> 8, value & 0xff)
        else if (value < 0x100000000) {
          out.push(0xce)
          uint(out, value, 4)
        } else {
          out.push(0xcf)
          uint(out, value, 8)
        }
      } else if (value >= -32) out.push(value & 0xff)
      else if (value >= -0x80) out.push(0xd0, value & 0xff)
      else if (value >= -0x8000) out.push(0xd1, (value >> 8) & 0xff, value & 0xff)
      else if (value >= -0x80000000) {
        out.push(0xd2)
        uint(out, value >>> 0, 4)
      } else {
        const high = Math.floor(value / 2 ** 32) // negative: its int32 two's complement below
        out.push(0xd3)
        uint(out, high >>> 0, 4)
        uint(out, value - high * 2 ** 32, 4)
      }
    } else {
      float.setFloat64(0, value)
      out.push(0xcb)
      for (let i = 0; i < 8; i++) out.push(float.getUint8(i))
    }
  } else if (typeof value === 'string') {
    const bytes = []
    utf8(value, bytes)
    header(out, bytes.length, 0xa0, 31, [0xd9, 0xda, 0xdb])
    for (const b of bytes) out.push(b)
  } else if (value instanceof Uint8Array) {
    header(out, value.length, undefined, -1, [0xc4, 0xc5, 0xc6])
    for (const b of value) out.push(b)
  } else if (Array.isArray(value)) {
    header(out, value.length, 0x90, 15, [undefined, 0xdc, 0xdd])
    for (const item of value) encodeValue(item, out)
  } else if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined)
    header(out, keys.length, 0x80, 15, [undefined, 0xde, 0xdf])
    for (const key of keys) {
      encodeValue(key, out)
      encodeValue(value[key], out)
    }
  } else throw new Error(`msgpack: cannot encode a ${typeof value}`)
}

/** Encodes a value as msgpack; an ArrayBuffer, ready for `socket.sendBinary`. */
export function encode(value) {
  const out = []
  encodeValue(value, out)
  return new Uint8Array(out).buffer
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = 0
  }

  take(n) {
    if (this.pos + n > this.bytes.length) throw new Error('msgpack: truncated')
    const at = this.pos
    this.pos += n
    return at
  }

  uint(n) {
    const at = this.take(n)
    let value = 0
    for (let i = 0; i < n; i++) value = value * 256 + this.bytes[at + i]
    return value
  }

  str(n) {
    const at = this.take(n)
    let text = ''
    for (let i = at; i < at + n; ) {
      const b = this.bytes[i]
      const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0
      if (size === 0 || i + size > at + n) throw new Error('msgpack: invalid UTF-8')
      let c = size === 1 ? b : b & (0xff >> (size + 1))
      for (let k = 1; k < size; k++) {
        const next = this.bytes[i + k]
        if ((next & 0xc0) !== 0x80) throw new Error('msgpack: invalid UTF-8')
        c = (c << 6) | (next & 63)
      }
      text +=
        c < 0x10000 ? String.fromCharCode(c) : String.fromCharCode(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + (c & 1023))
      i += size
    }
    return text
  }

  array(n) {
    const list = []
    for (let i = 0; i < n; i++) list.push(this.value())
    return list
  }

  map(n) {
    const map = {}
    for (let i = 0; i < n; i++) {
      const key = this.value()
      if (typeof key !== 'string' && typeof key !== 'number') throw new Error('msgpack: map key is not a string')
      map[key] = this.value()
    }
    return map
  }

  value() {
    const b = this.bytes[this.take(1)]
    if (b < 0x80) return b
    if (b >= 0xe0) return b - 0x100
    if (b >= 0xa0 && b <= 0xbf) return this.str(b & 31)
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 15)
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 15)
    switch (b) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const n = this.uint(1 << (b - 0xc4))
        const at = this.take(n)
        return this.bytes.slice(at, at + n)
      }
      case 0xca:
        return this.view.getFloat32(this.take(4))
      case 0xcb:
        return this.view.getFloat64(this.take(8))
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return this.uint(1 << (b - 0xcc))
      case 0xd0:
        return this.view.getInt8(this.take(1))
      case 0xd1:
        return this.view.getInt16(this.take(2))
      case 0xd2:
        return this.view.getInt32(this.take(4))
      case 0xd3: {
        const high = this.view.getInt32(this.take(4))
        return high * 2 ** 32 + this.uint(4)
      }
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.str(this.uint(1 << (b - 0xd9)))
      case 0xdc:
      case 0xdd:
        return this.array(this.uint(b === 0xdc ? 2 : 4))
      case 0xde:
      case 0xdf:
        return this.map(this.uint(b === 0xde ? 2 : 4))
      default:
        throw new Error(`msgpack: unsupported type 0x${b.toString(16)}`)
    }
  }
}

/** Decodes exactly one msgpack value from an ArrayBuffer or Uint8Array; throws on anything else. */
export function decode(data) {
  const reader = new Reader(data instanceof Uint8Array ? data : new Uint8Array(data))
  const value = reader.value()
  if (reader.pos !== reader.bytes.length) throw new Error('msgpack: trailing bytes')
  return value
}
