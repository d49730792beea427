/** The types shared by the endpoint handlers and the HTTP layer. */
import type { IncomingHttpHeaders } from 'node:http'
import type { Catalog } from './catalog.ts'
import type { Moves } from './charts.ts'
import type { JsonObject } from './json.ts'

export interface ApiRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** The request body as text (empty for GET). */
  body: string
  /** The machine's clock: what signatures and timestamps are checked against. */
  nowMs: number
  /** The upstream's calendar: its UTC day is the data date (runs faster than nowMs with SIM_DAY_LENGTH). */
  dataMs: number
}

export interface ApiContext {
  seed: number
  catalog: Catalog
  /** Builds a value once per key (charts are keyed by chart and day) and keeps recent ones. */
  cached: <T>(key: string, build: () => T) => T
  /** Paths that answer the legacy `deprecated` envelope (SIM_DEPRECATED). */
  deprecated: ReadonlySet<string>
  /** How charts move from day to day (SIM_MOVES). */
  moves: Moves
}

/** How the shape faults reach into a successful list response. */
export interface ListShape {
  items(body: JsonObject): JsonObject[] | undefined
  /** Removes the list key, keeping the rest of the envelope. */
  dropList(body: JsonObject): void
  /** Renames the item's id field (the `renamed-field` fault). */
  rename(item: JsonObject): void
  /** Removes the item's id field (the `missing-field` fault). */
  dropId(item: JsonObject): void
}

export interface ApiResult {
  status: number
  body: JsonObject
  /** Present only on successful list responses: what the shape faults work on. */
  list?: ListShape
}

export type Handler = (request: ApiRequest, context: ApiContext) => ApiResult

/** Renames one key of an object in place, keeping the key order. */
export function renameKey(object: JsonObject, from: string, to: string): void {
  const entries = Object.entries(object)
  for (const [key] of entries) delete object[key]
  for (const [key, value] of entries) object[key === from ? to : key] = value
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
