/**
 * The legacy generation (`/creative_radar_api/v1/...`): `{code,msg,request_id,data}` envelopes, HTTP 200
 * even for errors, signed requests (§2.3), a different list key and pagination shape per endpoint.
 * The five endpoints are defined in legacy-trends.ts and legacy-lists.ts on top of defineLegacy().
 */
import type { ApiContext, ApiRequest, ApiResult, Handler, ListShape } from './api.ts'
import { isObject, renameKey } from './api.ts'
import { dataDay } from './clock.ts'
import type { Json, JsonObject } from './json.ts'
import { intValue, ParamError } from './params.ts'
import { unit } from './prng.ts'
import { requestId } from './request-id.ts'
import { signatureProblem } from './sign.ts'

export function legacyEnvelope(nowMs: number, code: number, msg: string, data: Json): JsonObject {
  return { code, msg, request_id: requestId(nowMs), data }
}

export const noPermission = (nowMs: number): JsonObject => legacyEnvelope(nowMs, 40101, 'no permission', null)
export const deprecatedEnvelope = (nowMs: number): JsonObject => legacyEnvelope(nowMs, 0, 'deprecated', {})
export const invalidParam = (nowMs: number): JsonObject => legacyEnvelope(nowMs, 40000, 'invalid param', null)

export interface LegacyEndpoint<P, E> {
  listKey: string
  /** `size`: `{page,size,total,has_more}`; `limit`: the videos shape `{has_more,limit,page,total_count}`. */
  pagination: 'size' | 'limit'
  limitCap: number
  total: number
  /** The item's id field and what `renamed-field` renames it to; `alsoId` is dropped with it (videos' `id`). */
  idField: string
  renamedTo: string
  alsoId?: string
  /** Reads the chart-defining parameters; throws ParamError on malformed values. */
  parse(query: URLSearchParams): P
  /** The ranked entries of the chart on a data day (cache inside). */
  chart(params: P, context: ApiContext, day: number): readonly E[]
  item(entry: E, params: P, context: ApiContext, day: number): JsonObject
}

function listShape(endpoint: { listKey: string; idField: string; renamedTo: string; alsoId?: string }): ListShape {
  const data = (body: JsonObject): JsonObject | undefined => (isObject(body['data']) ? body['data'] : undefined)
  return {
    items: (body) => {
      const list = data(body)?.[endpoint.listKey]
      return Array.isArray(list) ? list.filter(isObject) : undefined
    },
    dropList: (body) => {
      const object = data(body)
      if (object !== undefined) delete object[endpoint.listKey]
    },
    rename: (item) => {
      renameKey(item, endpoint.idField, endpoint.renamedTo)
      if (endpoint.alsoId !== undefined) delete item[endpoint.alsoId]
    },
    dropId: (item) => {
      delete item[endpoint.idField]
      if (endpoint.alsoId !== undefined) delete item[endpoint.alsoId]
    },
  }
}

/** Builds the handler for one legacy list endpoint: signature, deprecation, parameters, paging, envelope. */
export function defineLegacy<P, E>(endpoint: LegacyEndpoint<P, E>): Handler {
  const shape = listShape(endpoint)
  return (request: ApiRequest, context: ApiContext): ApiResult => {
    const { nowMs, query } = request
    if (signatureProblem(request.headers, nowMs) !== undefined) return { status: 200, body: noPermission(nowMs) }
    if (context.deprecated.has(request.path)) return { status: 200, body: deprecatedEnvelope(nowMs) }
    let page: number
    let limit: number
    let params: P
    try {
      page = intValue('page', query.get('page'), 1, { min: 1 })
      limit = intValue('limit', query.get('limit'), 20, { min: 1, max: endpoint.limitCap })
      params = endpoint.parse(query)
    } catch (error) {
      if (error instanceof ParamError) return { status: 200, body: invalidParam(nowMs) }
      throw error
    }
    const day = dataDay(request.dataMs)
    const entries = endpoint.chart(params, context, day)
    const start = (page - 1) * limit
    const rows = entries.slice(start, start + limit).map((entry) => endpoint.item(entry, params, context, day))
    const hasMore = start + limit < endpoint.total
    const data: JsonObject =
      endpoint.pagination === 'size'
        ? { [endpoint.listKey]: rows, pagination: { page, size: limit, total: endpoint.total, has_more: hasMore } }
        : { pagination: { has_more: hasMore, limit, page, total_count: endpoint.total }, [endpoint.listKey]: rows }
    // The request id carries the upstream's time (a data date falls back to its day).
    return { status: 200, body: legacyEnvelope(request.dataMs, 0, 'OK', data), list: shape }
  }
}

/** rank_diff / rank_diff_type from today's and yesterday's rank: 1 up, 2 unchanged, 3 down, 4 new. */
export function rankMove(rank: number, prevRank: number | undefined): { diff: number | undefined; type: number } {
  if (prevRank === undefined) return { diff: undefined, type: 4 }
  if (prevRank > rank) return { diff: prevRank - rank, type: 1 }
  if (prevRank === rank) return { diff: 0, type: 2 }
  return { diff: rank - prevRank, type: 3 }
}

/** Per-country market size, so small markets get smaller counts (US = 1). */
export function marketScale(seed: number, country: string): number {
  if (country === 'US' || country === 'ALL') return 1
  return 0.08 + unit(seed, 'market', country) * 0.6
}
