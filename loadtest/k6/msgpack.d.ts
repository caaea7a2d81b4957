/** Types of msgpack.js (plain JS, as k6 runs it) for the Node tests that check it against msgpackr. */
export function encode(value: unknown): ArrayBuffer
export function decode(data: ArrayBuffer | Uint8Array): unknown
