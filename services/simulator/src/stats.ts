/** Request and fault counters served by `GET /__simulator/stats`. */
export interface Stats {
  request(path: string): void
  fault(kind: string): void
  reset(): void
  snapshot(): { requests: Record<string, number>; faults: Record<string, number> }
}

export function createStats(): Stats {
  let requests = new Map<string, number>()
  let faults = new Map<string, number>()
  const bump = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1)
  }
  return {
    request: (path) => bump(requests, path),
    fault: (kind) => bump(faults, kind),
    reset: () => {
      requests = new Map()
      faults = new Map()
    },
    snapshot: () => ({ requests: Object.fromEntries(requests), faults: Object.fromEntries(faults) }),
  }
}
