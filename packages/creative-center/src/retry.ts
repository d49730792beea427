import { fullJitter } from '@trends/core'

/** Retry policy for transient failures: exponential backoff with full jitter, within a budget. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** Total time one page may spend waiting between attempts; a longer Retry-After gives up at once. */
  budgetMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, budgetMs: 120_000 }

/** Full jitter: a uniform wait between 0 and min(max, base · 2^retry). `retry` counts from 0. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  return fullJitter(retry, policy.baseDelayMs, policy.maxDelayMs, random)
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/** The wait before the next attempt: at least what the server asked for, else the jittered backoff. */
export function nextDelay(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random?: () => number): number {
  const jittered = backoffDelay(policy, retry, random)
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered)
}
