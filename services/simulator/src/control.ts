/**
 * The control API under `/__simulator/` that tests, demos and benchmarks use (real TikTok has no such
 * path): install and clear fault rules, read and reset the counters.
 */
import type { ServerResponse } from 'node:http'
import { faultRuleProblems, parseFaultRule, type FaultStore } from './faults.ts'
import { send } from './respond.ts'
import type { Stats } from './stats.ts'

export const CONTROL_PREFIX = '/__simulator/'

function reply(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body))
}

export function handleControl(res: ServerResponse, method: string, path: string, body: string, faults: FaultStore, stats: Stats): void {
  const route = `${method} ${path}`
  if (route === 'POST /__simulator/faults') {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return reply(res, 400, { error: 'the body must be a JSON fault rule' })
    }
    const problems = faultRuleProblems(parsed)
    if (problems.length > 0) return reply(res, 400, { error: problems.join('; '), problems })
    return reply(res, 200, { id: faults.add(parseFaultRule(parsed)) })
  }
  if (route === 'GET /__simulator/faults') return reply(res, 200, { rules: faults.list() })
  if (route === 'DELETE /__simulator/faults') {
    const cleared = faults.list().length
    faults.clear()
    return reply(res, 200, { cleared })
  }
  if (method === 'DELETE' && path.startsWith('/__simulator/faults/')) {
    const id = decodeURIComponent(path.slice('/__simulator/faults/'.length))
    return faults.remove(id) ? reply(res, 200, { removed: id }) : reply(res, 404, { error: `no fault rule ${id}` })
  }
  if (route === 'GET /__simulator/stats') return reply(res, 200, stats.snapshot())
  if (route === 'POST /__simulator/reset-stats') {
    stats.reset()
    return reply(res, 200, stats.snapshot())
  }
  return reply(res, 404, { error: `unknown control route ${route}` })
}
