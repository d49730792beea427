/**
 * Field contracts per endpoint, as data beside the endpoint definitions (contracts.json): what a list item carries.
 * `required`: without it the item is no observation (the normalizer dead-letters it). `optional`:
 * read when present; its absence (or null) is normal — the upstream leaves `rank_diff` out on new
 * entries and `industry_info` on some items. `extra`: known to arrive, read by nothing.
 *
 * **Drift** is what the upstream changed without notice: a required field missing, a field no
 * contract names (a rename shows as the old name missing, if required, and the new one unknown), or
 * a known field whose value has another type. From the API notes and real captures; a field the
 * upstream adds should be added to contracts.json (as optional or extra) once it is understood, or
 * in a deployment's own file (CC_CONTRACTS_FILE) until then.
 */
import { readFileSync } from 'node:fs'
import { ENDPOINTS } from './endpoints.ts'
import type { Json } from './json.ts'

/**
 * `text`: a string. `id`: a string or an integer (the gateway sends 64-bit ids either way).
 * `count` and `number`: a number, or a string of one (`agw-js-conv: str` sends numbers as strings).
 * `boolean`, `object`, `array`: that JSON type.
 */
export type FieldType = 'text' | 'id' | 'count' | 'number' | 'boolean' | 'object' | 'array'

export interface FieldContract {
  required: Readonly<Record<string, FieldType>>
  optional: Readonly<Record<string, FieldType>>
  extra: readonly string[]
}

const FIELD_TYPES: readonly FieldType[] = ['text', 'id', 'count', 'number', 'boolean', 'object', 'array']

/** A contract file that does not parse, or says something the client cannot use. The message is one line. */
export class ContractFileError extends Error {
  override name = 'ContractFileError'
}

export type Contracts = Readonly<Record<string, FieldContract>>

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads one `{field: type}` section; `where` names it in errors. */
function fieldTypes(value: unknown, where: string): Record<string, FieldType> {
  if (value === undefined) return {}
  if (!isObject(value)) throw new ContractFileError(`${where}: expected an object of field names and types`)
  const out: Record<string, FieldType> = {}
  for (const [field, type] of Object.entries(value)) {
    if (!FIELD_TYPES.includes(type as FieldType)) {
      throw new ContractFileError(`${where}.${field}: type ${JSON.stringify(type)} is not one of ${FIELD_TYPES.join(', ')}`)
    }
    out[field] = type as FieldType
  }
  return out
}

function fieldNames(value: unknown, where: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((field) => typeof field === 'string')) {
    throw new ContractFileError(`${where}: expected an array of field names`)
  }
  return value
}

/**
 * Parses a contract file: `{ "<endpoint>": { "required": {field: type}, "optional": {field: type},
 * "extra": [field], "note": "..." } }`. `endpoints` are the names a file may use. With `base`, the
 * file extends it (an override): it may add optional and extra fields or change an optional field's
 * type, but not name required fields, which are what the normalizer's code reads. Throws
 * ContractFileError, one line naming the file and the place.
 */
export function parseContracts(text: string, source: string, endpoints: readonly string[], base?: Contracts): Contracts {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new ContractFileError(`${source}: not JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`)
  }
  if (!isObject(parsed)) throw new ContractFileError(`${source}: expected an object of endpoint names`)
  const out: Record<string, FieldContract> = { ...base }
  for (const [endpoint, value] of Object.entries(parsed)) {
    const where = `${source}: ${endpoint}`
    if (!endpoints.includes(endpoint)) {
      throw new ContractFileError(`${source}: unknown endpoint ${JSON.stringify(endpoint)} (known: ${endpoints.join(', ')})`)
    }
    if (!isObject(value)) throw new ContractFileError(`${where}: expected an object with required, optional and extra`)
    for (const key of Object.keys(value)) {
      if (!['required', 'optional', 'extra', 'note'].includes(key)) {
        throw new ContractFileError(`${where}: unknown key ${JSON.stringify(key)} (required, optional, extra, note)`)
      }
    }
    const required = fieldTypes(value['required'], `${where}.required`)
    const optional = fieldTypes(value['optional'], `${where}.optional`)
    const extra = fieldNames(value['extra'], `${where}.extra`)
    const inherited = base?.[endpoint]
    if (inherited !== undefined && Object.keys(required).length > 0) {
      throw new ContractFileError(
        `${where}.required: an override cannot change required fields (the normalizer reads them); add optional or extra fields`,
      )
    }
    const contract: FieldContract =
      inherited === undefined
        ? { required, optional, extra }
        : {
            required: inherited.required,
            optional: { ...inherited.optional, ...optional },
            extra: [...new Set([...inherited.extra, ...extra])],
          }
    const sections = [Object.keys(contract.required), Object.keys(contract.optional), contract.extra]
    const seen = new Set<string>()
    for (const field of sections.flat()) {
      if (seen.has(field))
        throw new ContractFileError(`${where}: ${field} is named twice (required, optional and extra exclude each other)`)
      seen.add(field)
    }
    if (inherited === undefined && Object.keys(required).length === 0) {
      throw new ContractFileError(`${where}.required: name at least the item's id field`)
    }
    out[endpoint] = contract
  }
  return out
}

/** The endpoints' contracts as shipped: contracts.json beside this file (ENDPOINTS' names). */
export const CONTRACTS: Contracts = parseContracts(
  readFileSync(new URL('./contracts.json', import.meta.url), 'utf8'),
  'contracts.json',
  ENDPOINTS.map((endpoint) => endpoint.name),
)

export type DriftKind = 'missing' | 'unknown' | 'retyped'

/** One field of one item that drifted. */
export interface FieldDrift {
  field: string
  kind: DriftKind
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/

/** Whether a (non-null) value is of a contract type. */
export function hasType(value: Json, type: FieldType): boolean {
  switch (type) {
    case 'text':
      return typeof value === 'string'
    case 'id':
      return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isInteger(value))
    case 'count':
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && NUMERIC.test(value))
    case 'boolean':
      return typeof value === 'boolean'
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    case 'array':
      return Array.isArray(value)
  }
}

/** Whether the contract names the field (its own keys only: `constructor` or `__proto__` from upstream is unknown). */
function knownField(contract: FieldContract, field: string): boolean {
  return Object.hasOwn(contract.required, field) || Object.hasOwn(contract.optional, field) || contract.extra.includes(field)
}

/** How one list item differs from its endpoint's contract (empty: it keeps it). */
export function itemDrift(contract: FieldContract, item: Json): FieldDrift[] {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return [{ field: '(item)', kind: 'retyped' }]
  const drift: FieldDrift[] = []
  for (const [field, type] of Object.entries(contract.required)) {
    const value = item[field]
    if (value === undefined || value === null) drift.push({ field, kind: 'missing' })
    else if (!hasType(value, type)) drift.push({ field, kind: 'retyped' })
  }
  for (const [field, type] of Object.entries(contract.optional)) {
    const value = item[field]
    if (value !== undefined && value !== null && !hasType(value, type)) drift.push({ field, kind: 'retyped' })
  }
  for (const field of Object.keys(item)) if (!knownField(contract, field)) drift.push({ field, kind: 'unknown' })
  return drift
}

/** A page's drift: each field and kind once, with how many of the page's items showed it. */
export interface PageDrift extends FieldDrift {
  items: number
}

export function pageDrift(contract: FieldContract, items: readonly Json[]): PageDrift[] {
  const counted = new Map<string, PageDrift>()
  for (const item of items) {
    for (const { field, kind } of itemDrift(contract, item)) {
      const key = `${kind}\u0000${field}`
      const entry = counted.get(key)
      if (entry === undefined) counted.set(key, { field, kind, items: 1 })
      else entry.items++
    }
  }
  return [...counted.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.field.localeCompare(b.field))
}

/** The name a metric label may carry: a field the endpoint's contract names, else `other` (upstream keys are unbounded). */
export function driftFieldLabel(contract: FieldContract, field: string): string {
  return knownField(contract, field) ? field : 'other'
}

/**
 * Every `{field, kind}` the drift counter can carry for a contract: required fields missing or
 * retyped, optional fields retyped, and `other` (a name it does not know, or an item that is not an
 * object). Counters start at 0 for each, so an alert on `increase()` sees the first page that drifts.
 */
export function driftLabelSets(contract: FieldContract): FieldDrift[] {
  return [
    ...Object.keys(contract.required).flatMap((field) => [
      { field, kind: 'missing' as const },
      { field, kind: 'retyped' as const },
    ]),
    ...Object.keys(contract.optional).map((field) => ({ field, kind: 'retyped' as const })),
    { field: 'other', kind: 'unknown' },
    { field: 'other', kind: 'retyped' },
  ]
}

/** A page's drift in words, for a log line or `trends fetch`: `hashtag_name missing, tag_name unknown`. */
export function describeDrift(drift: readonly FieldDrift[]): string {
  return drift.map(({ field, kind }) => `${field.length > 64 ? `${field.slice(0, 64)}…` : field} ${kind}`).join(', ')
}
