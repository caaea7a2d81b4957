import { Packr } from 'msgpackr'

/**
 * The byte form of stored values and bus messages, shared by LmdbStore, NatsStore and the
 * buses so a value reads back the same whichever implementation carried it. Plain msgpack:
 * no records (every value is self-describing, so nodes need no shared structure table) and
 * no msgpackr extensions beyond its defaults.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false })

/** Throws on a value msgpack cannot carry (e.g. a BigInt beyond 64 bits). */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value)
}

/** Throws on bytes that are not one msgpack value. */
export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}
