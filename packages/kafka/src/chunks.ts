/**
 * Splits messages into groups of at most `maxBytes` (keys plus values), so that no single produce
 * request builds a record batch above the broker's message.max.bytes (1 MiB by default), which
 * would fail the whole send. A message larger than `maxBytes` travels alone.
 */
export function chunkByBytes<M extends { key?: string | Buffer | null; value: Buffer | string | null }>(
  messages: readonly M[],
  maxBytes: number,
): M[][] {
  const chunks: M[][] = []
  let current: M[] = []
  let size = 0
  for (const message of messages) {
    const bytes = byteLength(message.key) + byteLength(message.value) + 64
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current)
      current = []
      size = 0
    }
    current.push(message)
    size += bytes
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

function byteLength(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length
}

/**
 * Room for a record batch's and a record's own framing (61 bytes of batch header, a few varints),
 * so that a record counted below a topic's max.message.bytes is never refused for it.
 */
const FRAMING_BYTES = 512

/**
 * What one message takes in a record batch of its own, before compression: a record counted at or
 * below a topic's max.message.bytes is accepted even if zstd gains nothing.
 */
export function recordBytes(message: {
  key?: string | Buffer | null
  value: Buffer | string | null
  headers?: Record<string, string>
}): number {
  let bytes = byteLength(message.key) + byteLength(message.value) + FRAMING_BYTES
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 8
  return bytes
}

/** Room below the broker's default 1 MiB limit for batch and record headers. */
export const SEND_CHUNK_BYTES = 768 * 1024
