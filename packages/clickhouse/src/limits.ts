import { ClickHouseRefusal } from './refusal.ts'

/**
 * The limits every statement on the embedded store runs under, and the settings a client may not use
 * to lift them or to reach outside the store. The HTTP server checks the settings of a request's URL
 * here; a statement's own SETTINGS clauses meet the same rules as the engine's setting constraints
 * (sandbox.ts), and SET statements are refused by the guard.
 */
export interface StatementLimits {
  /** Seconds a statement may run (max_execution_time); the engine stops it with TIMEOUT_EXCEEDED. */
  maxExecutionTimeSeconds: number
  /** Bytes a result may have (max_result_bytes, result_overflow_mode=throw). */
  maxResultBytes: number
  /**
   * Bytes of memory one statement may use (max_memory_usage). The result cap alone does not bound
   * memory: the engine counts a constant column once per block, so a block of 300 one-megabyte
   * constants passes max_result_bytes and is built whole before anything refuses it.
   */
  maxMemoryBytes: number
}

/** The settings the server gives every statement; a client may lower these limits, never lift them. */
export function enforcedSettings(limits: StatementLimits): Record<string, string> {
  return {
    max_execution_time: String(limits.maxExecutionTimeSeconds),
    timeout_overflow_mode: 'throw',
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: 'throw',
    max_memory_usage: String(limits.maxMemoryBytes),
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
  max_memory_usage: atMost((limits) => limits.maxMemoryBytes),
  result_overflow_mode: only('throw'),
  max_query_size: parserDefault(262_144),
  max_parser_depth: parserDefault(1000),
  max_parser_backtracks: parserDefault(1_000_000),
  max_ast_depth: parserDefault(1000),
  max_ast_elements: parserDefault(50_000),
  max_expanded_ast_elements: parserDefault(500_000),
  max_recursive_cte_evaluation_depth: parserDefault(1000),
}

/**
 * Settings that name a file, a URL or a disk, so that a statement using them reads or writes outside
 * the store (a Template format's row file, the schema Protobuf output writes, AvroConfluent's
 * registry, a MergeTree table's `disk = disk(type = s3, endpoint = …)`). A client may not set any of
 * them; the engine holds them constant too (sandbox.ts), MergeTree ones under their `merge_tree_`
 * names, and its refusal is answered as ACCESS_DENIED like the table functions.
 */
export const OUTSIDE_SETTINGS: readonly string[] = [
  'format_schema',
  'format_schema_source',
  'output_format_schema',
  'format_template_resultset',
  'format_template_row',
  'format_avro_schema_registry_url',
  'url_base',
  'into_outfile_create_parent_directories',
  'dynamic_disk_allow_from_env',
  'dynamic_disk_allow_from_zk',
  'dynamic_disk_allow_include',
  's3queue_default_zookeeper_path',
]

/** MergeTree table settings that place a table's data on a disk (its own, or one described inline). */
export const OUTSIDE_TABLE_SETTINGS: readonly string[] = ['disk', 'storage_policy', 'table_disk']

/** The settings a client may not set freely (see RULES for what each may be). */
export const PROTECTED_SETTINGS: readonly string[] = [...Object.keys(RULES), ...OUTSIDE_SETTINGS]

/** ClickHouse's ACCESS_DENIED for a setting that would reach outside the store. */
export function outsideRefusal(name: string): ClickHouseRefusal {
  return new ClickHouseRefusal(
    497,
    'ACCESS_DENIED',
    `Setting ${name} names a file, URL or disk: the served store reaches only its own tables`,
  )
}

function text(value: unknown): string {
  const raw = typeof value === 'boolean' ? (value ? '1' : '0') : String(value).trim()
  // A SETTINGS clause may quote a number ('60'); the engine reads the quoted and bare forms alike.
  return /^'.*'$/s.test(raw) ? raw.slice(1, -1) : raw
}

/**
 * The refusal (452 SETTING_CONSTRAINT_VIOLATION, in ClickHouse's words) for a client setting that
 * would lift a limit or leave the server's rules, 497 ACCESS_DENIED for one that reaches outside the
 * store; undefined when the setting may be used.
 */
export function settingViolation(name: string, value: unknown, limits: StatementLimits): ClickHouseRefusal | undefined {
  if (OUTSIDE_SETTINGS.includes(name)) return outsideRefusal(name)
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
