import { ClickHouseRefusal } from './refusal.ts'

/**
 * The limits every statement on the embedded store runs under, and the settings a client may not use
 * to lift them. The HTTP server checks the settings of a request's URL here; the SQL guard checks a
 * statement's own SETTINGS clauses (and SET statements) with the same function, so one list decides.
 */
export interface StatementLimits {
  /** Seconds a statement may run (max_execution_time); the engine stops it with TIMEOUT_EXCEEDED. */
  maxExecutionTimeSeconds: number
  /** Bytes a result may have (max_result_bytes, result_overflow_mode=throw). */
  maxResultBytes: number
}

/** The settings the server gives every statement; a client may lower these limits, never lift them. */
export function enforcedSettings(limits: StatementLimits): Record<string, string> {
  return {
    max_execution_time: String(limits.maxExecutionTimeSeconds),
    timeout_overflow_mode: 'throw',
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: 'throw',
    // chDB turns these on; they reach the process's own memory and stack (addressToSymbol, system.stack_trace).
    allow_introspection_functions: '0',
  }
}

type Rule = (value: string, limits: StatementLimits) => string | undefined

const unchangeable: Rule = () => 'should not be changed'

const only =
  (...allowed: string[]): Rule =>
  (value) =>
    allowed.includes(value.toLowerCase()) ? undefined : `should be ${allowed[0]}`

/**
 * A whole number above 0 and at most `most` (0 means "no limit" to ClickHouse). Plain digits only:
 * the engine also reads `1G` or `1e12`, and a second reading of the value is how checks get bypassed.
 */
function atMost(most: (limits: StatementLimits) => number | undefined, fraction = false): Rule {
  return (value, limits) => {
    const limit = most(limits)
    const bound = limit === undefined ? 'above 0' : `between 1 and ${limit}`
    if (!(fraction ? /^\d+(\.\d+)?$/ : /^\d+$/).test(value)) return `should be a ${fraction ? 'number' : 'whole number'} ${bound}`
    const number = Number(value)
    if (number === 0) return `shouldn't be 0 (no limit); set a value ${bound}`
    if (limit !== undefined && number > limit) return `shouldn't be greater than ${limit}`
    return undefined
  }
}

/** The parser's own bounds at chDB's defaults: lifting them lets a statement nest deeper than the guard's parse was made for. */
const parserDefault = (value: number) => atMost(() => value)

const RULES: Readonly<Record<string, Rule>> = {
  readonly: unchangeable,
  profile: unchangeable,
  allow_introspection_functions: only('0', 'false'),
  max_execution_time: atMost((limits) => limits.maxExecutionTimeSeconds, true),
  timeout_overflow_mode: only('throw'),
  max_result_bytes: atMost((limits) => limits.maxResultBytes),
  max_result_rows: atMost(() => undefined),
  result_overflow_mode: only('throw'),
  max_query_size: parserDefault(262_144),
  max_parser_depth: parserDefault(1000),
  max_parser_backtracks: parserDefault(1_000_000),
  max_ast_depth: parserDefault(1000),
  max_ast_elements: parserDefault(50_000),
  max_expanded_ast_elements: parserDefault(500_000),
  max_recursive_cte_evaluation_depth: parserDefault(1000),
}

/** The settings a client may not set freely (see RULES for what each may be). */
export const PROTECTED_SETTINGS: readonly string[] = Object.keys(RULES)

function text(value: unknown): string {
  const raw = typeof value === 'boolean' ? (value ? '1' : '0') : String(value).trim()
  // A SETTINGS clause may quote a number ('60'); the engine reads the quoted and bare forms alike.
  return /^'.*'$/s.test(raw) ? raw.slice(1, -1) : raw
}

/**
 * The refusal (452 SETTING_CONSTRAINT_VIOLATION, in ClickHouse's words) for a client setting that
 * would lift a limit or leave the server's rules; undefined when the setting may be used.
 */
export function settingViolation(name: string, value: unknown, limits: StatementLimits): ClickHouseRefusal | undefined {
  const rule = Object.hasOwn(RULES, name) ? RULES[name] : undefined
  const problem = rule?.(text(value), limits)
  return problem === undefined ? undefined : new ClickHouseRefusal(452, 'SETTING_CONSTRAINT_VIOLATION', `Setting ${name} ${problem}`)
}

/** Throws the first setting's ClickHouseRefusal (452) when any may not be used. */
export function checkSettings(settings: Readonly<Record<string, unknown>>, limits: StatementLimits): void {
  for (const [name, value] of Object.entries(settings)) {
    const violation = settingViolation(name, value, limits)
    if (violation !== undefined) throw violation
  }
}
