/**
 * Client-side bounds. The server's defaults (BECKON_MAX_TEXT_LENGTH, BECKON_MAX_URL_LENGTH,
 * BECKON_MAX_CONTEXT_KEYS, BECKON_MAX_CONTEXT_BYTES) are mirrored here because an oversized
 * `hello` is a protocol error that closes the socket for good: the widget trims or refuses
 * input before it can cost the visitor the connection.
 */
export const WIDGET_LIMITS = {
  maxTextLength: 4000,
  maxUrlLength: 2048,
  maxContextKeys: 50,
  maxContextBytes: 4096,
  maxContextKeyLength: 64,
  maxUserField: 256,
  /** Event frames kept while disconnected; the oldest are dropped beyond this. */
  maxQueuedFrames: 50,
} as const
