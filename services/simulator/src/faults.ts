/**
 * Fault rules: what the control API (`POST /__simulator/faults`) and SIM_FAULTS install. A rule matches
 * one exact path (or every API path), fires on every match, on the next `count` matches, or with
 * probability `rate` (a PRNG seeded from the simulator seed, so runs repeat), and expires when its
 * count is used up.
 */
import { hash32, mulberry32 } from './prng.ts'

export const FAULT_KINDS = [
  'rate-limit',
  'server-error',
  'unavailable',
  'slow-headers',
  'drip-body',
  'truncated-body',
  'invalid-json',
  'captcha',
  'no-permission',
  'deprecated',
  'invalid-login',
  'renamed-field',
  'missing-field',
  'missing-list',
  'connection-reset',
  'raw-body',
  'huge-item',
  'echo-cookie',
  'echo-cookie-item',
  'rename-item-field',
  'retype-item-field',
  'extra-item-field',
] as const

export type FaultKind = (typeof FAULT_KINDS)[number]

/** Faults that change a successful list response; they match only requests that produced one. */
export const SHAPE_FAULTS: readonly FaultKind[] = [
  'renamed-field',
  'missing-field',
  'missing-list',
  'huge-item',
  'echo-cookie-item',
  'rename-item-field',
  'retype-item-field',
  'extra-item-field',
]

/** Faults that change one named field of every item (upstream drift): they need `field`, and a rename `to`. */
export const FIELD_FAULTS: readonly FaultKind[] = ['rename-item-field', 'retype-item-field', 'extra-item-field']

export interface FaultRuleInput {
  fault: FaultKind
  /** Exact request path; absent = every API path. */
  path?: string
  /** Fire on the next N matching requests, then expire. */
  count?: number
  /** Probability 0..1 of firing on each matching request. */
  rate?: number
  /** `rate-limit`: the Retry-After value (default 1). */
  retryAfterSeconds?: number
  /** `slow-headers`: how long to wait before the status line (default 5000). */
  delayMs?: number
  /** `raw-body`: the exact bytes to answer with (HTTP 200, JSON content type), base64. */
  bodyBase64?: string
  /** `huge-item`: how many bytes of padding one item gains. */
  bytes?: number
  /** The field faults: which item field is renamed, retyped (its value wrapped in an object), or added. */
  field?: string
  /** `rename-item-field`: the field's new name. */
  to?: string
}

export interface FaultRuleView extends FaultRuleInput {
  id: string
  /** How many more times a counted rule fires. */
  remaining?: number
}

/** A rule that fired for one request, with a PRNG for the choices the fault makes (cut point, item). */
export interface ActiveFault {
  rule: FaultRuleView
  random: () => number
}

const KEYS = new Set(['fault', 'path', 'count', 'rate', 'retryAfterSeconds', 'delayMs', 'bodyBase64', 'bytes', 'field', 'to'])
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/** Validates one rule; returns the problems found (empty when valid). */
export function faultRuleProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['a fault rule must be a JSON object']
  const rule = value as Record<string, unknown>
  const problems = Object.keys(rule)
    .filter((key) => !KEYS.has(key))
    .map((key) => `unknown field "${key}"`)
  if (!FAULT_KINDS.includes(rule['fault'] as FaultKind)) problems.push(`fault must be one of ${FAULT_KINDS.join(', ')}`)
  const path = rule['path']
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) problems.push('path must be a string starting with /')
  if (rule['count'] !== undefined && !isInt(rule['count'], 1, 1_000_000_000)) problems.push('count must be a positive integer')
  const rate = rule['rate']
  if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) problems.push('rate must be a number from 0 to 1')
  if (rule['retryAfterSeconds'] !== undefined && !isInt(rule['retryAfterSeconds'], 0, 86_400)) {
    problems.push('retryAfterSeconds must be an integer from 0 to 86400')
  }
  if (rule['delayMs'] !== undefined && !isInt(rule['delayMs'], 0, 600_000)) problems.push('delayMs must be an integer from 0 to 600000')
  const body = rule['bodyBase64']
  if (body !== undefined && (typeof body !== 'string' || !BASE64.test(body))) problems.push('bodyBase64 must be a base64 string')
  if (rule['fault'] === 'raw-body' && body === undefined) problems.push('raw-body needs bodyBase64')
  if (rule['bytes'] !== undefined && !isInt(rule['bytes'], 1, 64 * 1024 * 1024))
    problems.push('bytes must be an integer from 1 to 67108864')
  if (rule['fault'] === 'huge-item' && rule['bytes'] === undefined) problems.push('huge-item needs bytes')
  for (const key of ['field', 'to'])
    if (rule[key] !== undefined && (typeof rule[key] !== 'string' || !FIELD_NAME.test(rule[key])))
      problems.push(`${key} must be a field name (letters, digits, _; at most 100)`)
  if (FIELD_FAULTS.includes(rule['fault'] as FaultKind) && rule['field'] === undefined)
    problems.push(`${String(rule['fault'])} needs field`)
  if (rule['fault'] === 'rename-item-field' && rule['to'] === undefined) problems.push('rename-item-field needs to')
  return problems
}

export function parseFaultRule(value: unknown): FaultRuleInput {
  const problems = faultRuleProblems(value)
  if (problems.length > 0) throw new Error(problems.join('; '))
  const rule = value as Record<string, unknown>
  const input: FaultRuleInput = { fault: rule['fault'] as FaultKind }
  if (typeof rule['path'] === 'string') input.path = rule['path']
  if (typeof rule['count'] === 'number') input.count = rule['count']
  if (typeof rule['rate'] === 'number') input.rate = rule['rate']
  if (typeof rule['retryAfterSeconds'] === 'number') input.retryAfterSeconds = rule['retryAfterSeconds']
  if (typeof rule['delayMs'] === 'number') input.delayMs = rule['delayMs']
  if (typeof rule['bodyBase64'] === 'string') input.bodyBase64 = rule['bodyBase64']
  if (typeof rule['bytes'] === 'number') input.bytes = rule['bytes']
  if (typeof rule['field'] === 'string') input.field = rule['field']
  if (typeof rule['to'] === 'string') input.to = rule['to']
  return input
}

export interface FaultStore {
  add(input: FaultRuleInput): string
  remove(id: string): boolean
  clear(): void
  list(): FaultRuleView[]
  /** The first rule that matches and fires for this request, consuming one use of a counted rule. */
  pick(path: string, hasList: boolean): ActiveFault | undefined
}

interface Rule {
  view: FaultRuleView
  random: () => number
}

export function createFaultStore(seed: number): FaultStore {
  let rules: Rule[] = []
  let serial = 0
  return {
    add: (input) => {
      serial++
      const id = `fault-${serial}`
      const view: FaultRuleView = { id, ...input }
      if (input.count !== undefined) view.remaining = input.count
      rules.push({ view, random: mulberry32(hash32(seed, 'fault', serial)) })
      return id
    },
    remove: (id) => {
      const before = rules.length
      rules = rules.filter((rule) => rule.view.id !== id)
      return rules.length < before
    },
    clear: () => {
      rules = []
    },
    list: () => rules.map((rule) => ({ ...rule.view })),
    pick: (path, hasList) => {
      for (const rule of rules) {
        const { view } = rule
        if (view.path !== undefined && view.path !== path) continue
        if (SHAPE_FAULTS.includes(view.fault) && !hasList) continue
        if (view.rate !== undefined && !(rule.random() < view.rate)) continue
        if (view.remaining !== undefined) {
          view.remaining--
          if (view.remaining <= 0) rules = rules.filter((other) => other !== rule)
        }
        return { rule: { ...view }, random: rule.random }
      }
      return undefined
    },
  }
}
