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

/** Room below the broker's default 1 MiB limit for batch and record headers. */
export const SEND_CHUNK_BYTES = 768 * 1024
