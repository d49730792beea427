const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `500ms`, `90s`, `15m`, `6h`, `3d` → milliseconds; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*(ms|[smhd])$/.exec(text.trim())
  if (match === null) return undefined
  const unit = UNITS[match[2] ?? '']
  return unit === undefined ? undefined : Number(match[1]) * unit
}

/** Milliseconds as a duration setting is written, in the largest unit that holds them whole: `30s`, `2m`, `1500ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] ?? 1
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
