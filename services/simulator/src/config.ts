/** The simulator's settings from the environment, validated together (every problem listed at once). */
import { readEnv } from '@trends/core'
import type { Moves } from './charts.ts'
import { faultRuleProblems, parseFaultRule, type FaultRuleInput } from './faults.ts'

export interface SimulatorConfig {
  host: string
  port: number
  seed: number
  deprecatedPaths: string[]
  faults: FaultRuleInput[]
  /** SIM_DAY_LENGTH: how long one upstream day lasts (a real day unless set). */
  dayLengthMs: number
  /** SIM_MOVES: how charts move from day to day. */
  moves: Moves
  logLevel: string
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export const SETTINGS_HELP = `Settings (environment):
  SIM_HOST        interface to bind (default 127.0.0.1)
  SIM_PORT        port to listen on, 0 = any free port (default 8480)
  SIM_SEED        seed of the generated data and of rate-based faults, 0..4294967295 (default 1)
  SIM_DEPRECATED  comma-separated API paths that always answer {"code":0,"msg":"deprecated",...} (default none)
  SIM_FAULTS      JSON array of fault rules installed at start, e.g. [{"fault":"rate-limit","rate":0.1}] (default none)
  SIM_DAY_LENGTH  how long one upstream day lasts, at least 10s: the data date moves on a day each time (default 1d)
  SIM_MOVES       natural (each item follows its own activity) or scripted (each day: a new number 1, a jump
                  from 15 to 3, an entry at 5 with a steep curve, an exit; default natural)
  LOG_LEVEL       ${LOG_LEVELS.join(', ')} (default info)
`

function faultsFrom(text: string | undefined, problem: (text: string) => void): FaultRuleInput[] {
  if (text === undefined) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    problem('SIM_FAULTS: set a JSON array of fault rules (it is not valid JSON)')
    return []
  }
  if (!Array.isArray(parsed)) {
    problem('SIM_FAULTS: set a JSON array of fault rules')
    return []
  }
  const rules: FaultRuleInput[] = []
  parsed.forEach((rule: unknown, i) => {
    const problems = faultRuleProblems(rule)
    if (problems.length === 0) rules.push(parseFaultRule(rule))
    for (const text of problems) problem(`SIM_FAULTS[${i}]: ${text}`)
  })
  return rules
}

export function loadSimulatorConfig(env: NodeJS.ProcessEnv = process.env): SimulatorConfig {
  const read = readEnv(env)
  const deprecatedPaths = read.list('SIM_DEPRECATED', [])
  for (const path of deprecatedPaths) {
    if (!path.startsWith('/')) read.problem(`SIM_DEPRECATED: "${path}" is not a path (it must start with /)`)
  }
  const logLevel = read.string('LOG_LEVEL', 'info')
  if (!LOG_LEVELS.includes(logLevel)) read.problem(`LOG_LEVEL: set one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`)
  const dayLengthMs = read.duration('SIM_DAY_LENGTH', '1d')
  if (dayLengthMs < 10_000) read.problem('SIM_DAY_LENGTH: at least 10s')
  const moves = read.string('SIM_MOVES', 'natural')
  if (moves !== 'natural' && moves !== 'scripted') read.problem(`SIM_MOVES: natural or scripted (got ${JSON.stringify(moves)})`)
  const config: SimulatorConfig = {
    host: read.string('SIM_HOST', '127.0.0.1'),
    port: read.int('SIM_PORT', 8480, { min: 0, max: 65535 }),
    seed: read.int('SIM_SEED', 1, { min: 0, max: 4_294_967_295 }),
    deprecatedPaths,
    faults: faultsFrom(read.optionalString('SIM_FAULTS'), (text) => read.problem(text)),
    dayLengthMs,
    moves: moves === 'scripted' ? 'scripted' : 'natural',
    logLevel,
  }
  read.done()
  return config
}
