const UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }

/** `512B`, `64KiB`, `64MiB`, `1GiB` → bytes; undefined when unreadable. Binary units only, so a size means one thing. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+)\s*(B|KiB|MiB|GiB)$/.exec(text.trim())
  if (match === null) return undefined
  const bytes = Number(match[1]) * (UNITS[match[2] ?? ''] ?? Number.NaN)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** Bytes as a person reads them: `64 MiB`, `1.5 KiB`, `12 B`. */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = UNITS[unit] ?? 1
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`
  }
  return `${bytes} B`
}
