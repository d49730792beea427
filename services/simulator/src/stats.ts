/** How many request arrival times the stats keep (the newest). */
const ARRIVALS_KEPT = 20_000

export interface StatsSnapshot {
  requests: Record<string, number>
  faults: Record<string, number>
  /** When the newest requests arrived (ms since the epoch, oldest first): the request rate the upstream sees. */
  arrivals: number[]
}

/** Request and fault counters served by `GET /__simulator/stats`. */
export interface Stats {
  request(path: string): void
  fault(kind: string): void
  reset(): void
  snapshot(): StatsSnapshot
}

export function createStats(now: () => number = Date.now): Stats {
  let requests = new Map<string, number>()
  let faults = new Map<string, number>()
  let arrivals: number[] = []
  const bump = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1)
  }
  return {
    request: (path) => {
      bump(requests, path)
      arrivals.push(now())
      if (arrivals.length > 2 * ARRIVALS_KEPT) arrivals = arrivals.slice(-ARRIVALS_KEPT)
    },
    fault: (kind) => bump(faults, kind),
    reset: () => {
      requests = new Map()
      faults = new Map()
      arrivals = []
    },
    snapshot: () => ({
      requests: Object.fromEntries(requests),
      faults: Object.fromEntries(faults),
      arrivals: arrivals.slice(-ARRIVALS_KEPT),
    }),
  }
}
