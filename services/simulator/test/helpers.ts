/** Test helpers: start a simulator in-process on port 0, signed legacy requests, typed JSON access. */
import type { TestContext } from 'node:test'
import { createSimulator, type SimulatorOptions } from '../src/index.ts'
import { signHeaders } from '../src/sign.ts'

/** 2026-03-12T08:15:44Z, the time of the hashtag fixture in the API notes (§8). */
export const NOW = Date.UTC(2026, 2, 12, 8, 15, 44)
export const DAY_MS = 86_400_000
export const ANONYMOUS_ID = '3bd2b243-5f1c-4a57-9d0e-2f4f1c0a7b11'

export const PATHS = {
  hashtags: '/creative_radar_api/v1/popular_trend/hashtag/list',
  sounds: '/creative_radar_api/v1/popular_trend/sound/rank_list',
  creators: '/creative_radar_api/v1/popular_trend/creator/list',
  videos: '/creative_radar_api/v1/popular_trend/list',
  keywords: '/creative_radar_api/v1/script/keyword/list',
  hashtagList: '/CreativeOne/KnowledgeAPI/GetHashtagList',
  overview: '/CreativeOne/Report/GetTopContentsOverview',
  contents: '/CreativeOne/Report/CreativeCenterGetTopContentsList',
} as const

export type Obj = Record<string, unknown>

/** Starts a simulator (clock fixed at NOW unless given) and stops it when the test ends. */
export async function startSimulator(t: TestContext, options: SimulatorOptions = {}): Promise<string> {
  const simulator = createSimulator({ now: () => NOW, ...options })
  const { url } = await simulator.start()
  t.after(() => simulator.stop())
  return url
}

export function signed(nowMs = NOW, webId?: string): Record<string, string> {
  return signHeaders(ANONYMOUS_ID, nowMs, webId)
}

export interface Reply {
  status: number
  headers: Headers
  text: string
  body: Obj
}

async function reply(response: Response): Promise<Reply> {
  const text = await response.text()
  let body: Obj = {}
  if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text) as Obj
  return { status: response.status, headers: response.headers, text, body }
}

export type Params = Record<string, string | number | boolean | undefined>

export function query(params: Params): string {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
  const search = new URLSearchParams(entries.map(([key, value]): [string, string] => [key, String(value)]))
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** GET with legacy signing headers (valid for NOW unless `headers` replaces them). */
export async function legacyGet(
  url: string,
  path: string,
  params: Params = {},
  headers: Record<string, string> = signed(),
): Promise<Reply> {
  return reply(await fetch(`${url}${path}${query(params)}`, { headers }))
}

export async function get(url: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(`${url}${pathAndQuery}`, { headers }))
}

export async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return reply(await fetch(`${url}${path}`, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } }))
}

export async function addFault(url: string, rule: Obj): Promise<string> {
  const response = await post(url, '/__simulator/faults', rule)
  if (response.status !== 200) throw new Error(`fault rule refused: ${response.text}`)
  return String(response.body['id'])
}

/** Narrowing accessors: fail loudly when the shape is not what the test expects. */
export function obj(value: unknown): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`not an object: ${JSON.stringify(value)}`)
  return value as Obj
}

export function arr(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`not an array: ${JSON.stringify(value)}`)
  return value
}

export function objects(value: unknown): Obj[] {
  return arr(value).map(obj)
}

/** The list of a legacy success response. */
export function legacyList(reply: Reply, key: string): Obj[] {
  return objects(obj(reply.body['data'])[key])
}

export function legacyPagination(reply: Reply): Obj {
  return obj(obj(reply.body['data'])['pagination'])
}

/** A response text with the one non-reproducible part (request_id) blanked. */
export function withoutRequestId(text: string): string {
  return text.replace(/"request_id":"\d{14}[0-9A-F]{20}"/g, '"request_id":"-"').replace(/x-tt-logid/g, '')
}
