import { createSimulator } from '@trends/simulator'
import { defer, type Cleanup } from '@trends/testing'

export interface FaultRule {
  fault: string
  path?: string
  count?: number
  rate?: number
  retryAfterSeconds?: number
  delayMs?: number
  bodyBase64?: string
  bytes?: number
  field?: string
  to?: string
}

export interface SimulatorHandle {
  url: string
  fault(rule: FaultRule): Promise<void>
  clearFaults(): Promise<void>
  stats(): Promise<{ requests: Record<string, number>; faults: Record<string, number>; arrivals: number[] }>
  /** Zeroes the request and fault counters (what the test itself asked does not count). */
  resetStats(): Promise<void>
}

/** The Creative Center simulator in this process on a free port, stopped after the test. */
export async function useSimulator(t: Cleanup, options: { seed?: number; now?: () => number } = {}): Promise<SimulatorHandle> {
  const simulator = createSimulator({
    host: '127.0.0.1',
    port: 0,
    seed: options.seed ?? 1,
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  const { url } = await simulator.start()
  defer(t, () => simulator.stop())
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/__simulator/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    })
    if (!response.ok) throw new Error(`simulator control ${method} ${path}: HTTP ${response.status}`)
    return response.json()
  }
  return {
    url,
    fault: async (rule) => {
      await control('POST', 'faults', rule)
    },
    clearFaults: async () => {
      await control('DELETE', 'faults')
    },
    resetStats: async () => {
      await control('POST', 'reset-stats')
    },
    stats: async () =>
      (await control('GET', 'stats')) as { requests: Record<string, number>; faults: Record<string, number>; arrivals: number[] },
  }
}
