/**
 * Client-side bounds. The server's defaults (BECKON_MAX_TEXT_LENGTH, BECKON_MAX_URL_LENGTH,
 * BECKON_MAX_CONTEXT_KEYS, BECKON_MAX_CONTEXT_BYTES) are mirrored here because an oversized
 * `hello` is a protocol error that closes the socket for good: the widget trims or refuses
 * input before it can cost the visitor the connection. Plain constants, so the bundler
 * inlines them.
 */
export const MAX_TEXT_LENGTH = 4000
export const MAX_URL_LENGTH = 2048
export const MAX_CONTEXT_KEYS = 50
export const MAX_CONTEXT_BYTES = 4096
export const MAX_CONTEXT_KEY_LENGTH = 64
export const MAX_USER_FIELD = 256
/** Event frames kept while disconnected; the oldest are dropped beyond this. */
export const MAX_QUEUED_FRAMES = 50
