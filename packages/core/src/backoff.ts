/**
 * Exponential backoff with full jitter: a uniform wait between 0 and min(max, base · 2^retry).
 * `retry` counts from 0. Spreads the retries of many clients instead of synchronising them.
 */
export function fullJitter(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retry, 40))
  return Math.floor(random() * ceiling)
}
