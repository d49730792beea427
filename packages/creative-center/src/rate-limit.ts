import { setTimeout as sleep } from 'node:timers/promises'

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. Callers queue in
 * order; each `take()` resolves when its token is due. One bucket per host is shared by everything
 * in the process that calls that host (see `sharedBucket`).
 */
export class TokenBucket {
  /** The whole budget: what the bucket allows when it has all of it (share 1). */
  readonly baseRatePerSecond: number
  readonly baseBurst: number
  #ratePerSecond: number
  #burst: number
  #tokens: number
  #updatedAt: number
  #tail: Promise<void> = Promise.resolve()
  readonly #now: () => number

  constructor(ratePerSecond: number, burst = 1, now: () => number = () => performance.now()) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive')
    this.baseRatePerSecond = ratePerSecond
    this.baseBurst = Math.max(1, burst)
    this.#ratePerSecond = ratePerSecond
    this.#burst = this.baseBurst
    this.#tokens = this.#burst
    this.#now = now
    this.#updatedAt = now()
  }

  get ratePerSecond(): number {
    return this.#ratePerSecond
  }

  get burst(): number {
    return this.#burst
  }

  /**
   * Takes a share (0 < share ≤ 1) of the budget: the rate and the burst scaled by it (a burst of at
   * least one request, so a small share still makes progress). Tokens saved up beyond the new
   * burst are dropped; waiters already queued are paced at the new rate from now on.
   */
  share(fraction: number): void {
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError('share must be in (0, 1]')
    this.#refill()
    this.#ratePerSecond = this.baseRatePerSecond * fraction
    this.#burst = Math.max(1, Math.floor(this.baseBurst * fraction))
    this.#tokens = Math.min(this.#tokens, this.#burst)
  }

  #refill(): void {
    const now = this.#now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#ratePerSecond)
    this.#updatedAt = now
  }

  /** Milliseconds until a token is available (0 when one is there now). */
  waitMs(): number {
    this.#refill()
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#ratePerSecond) * 1000)
  }

  /** Waits for a token in arrival order; rejects with the signal's reason if aborted while waiting. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(async () => {
      signal?.throwIfAborted()
      for (let wait = this.waitMs(); wait > 0; wait = this.waitMs()) await sleep(wait, undefined, { signal })
      this.#tokens -= 1
    })
    // The queue continues past a waiter that was aborted.
    this.#tail = turn.catch(() => undefined)
    return turn
  }
}

const buckets = new Map<string, TokenBucket>()

/**
 * The process-wide bucket for a host. The first caller's settings make it; later callers share it
 * whatever they ask for, so no part of the process can exceed the host's limit by asking twice.
 */
export function sharedBucket(host: string, ratePerSecond: number, burst = 1): TokenBucket {
  let bucket = buckets.get(host)
  if (bucket === undefined) {
    bucket = new TokenBucket(ratePerSecond, burst)
    buckets.set(host, bucket)
  }
  return bucket
}
