import { readFileSync } from 'node:fs'
import { formatDuration, type EnvReader } from '@trends/core'
import { CONTRACTS, ContractFileError, parseContracts, type Contracts } from './contracts.ts'
import { ENDPOINTS } from './endpoints.ts'
import type { HttpSettings } from './http.ts'
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts'

export interface CreativeCenterSettings {
  /** Where the Creative Center API lives: the real host by default, the simulator in tests and demos. */
  baseUrl: string
  /**
   * Where particular API hosts are reached (CC_HOST_ORIGINS: `{"ads.us.tiktok.com": "http://proxy:8080"}`),
   * over the default (the host itself, or CC_BASE_URL when that points elsewhere).
   */
  hostOrigins?: Readonly<Record<string, string>>
  http: HttpSettings
  retry: RetryPolicy
  /** Requests per second per host, across everything in the process. */
  ratePerSecond: number
  burst: number
  userAgent: string
  /** A logged-in session's Cookie header. A secret: never logged, never in records. */
  cookie?: string
  /** A logged-in session's `x-secsdk-csrf-token`, sent to the TikTok One endpoints. A secret like the cookie. */
  csrfToken?: string
  /** Sent as `web-id` and signed over when set. */
  webId?: string
  /**
   * Legacy endpoints sent without the `user-sign`/`timestamp` signing headers (CC_UNSIGNED_ENDPOINTS):
   * for pages that no longer sign their `creative_radar_api` calls.
   */
  unsignedEndpoints?: readonly string[]
  /** The field contracts drift is measured against: the shipped ones, extended by CC_CONTRACTS_FILE (unset: the shipped ones). */
  contracts?: Contracts
}

export const DEFAULT_BASE_URL = 'https://ads.tiktok.com'
const DEFAULT_USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36'

/**
 * CC_BASE_URL, CC_RATE_PER_SECOND, CC_BURST, CC_CONNECTIONS, CC_CONNECT_TIMEOUT, CC_HEADERS_TIMEOUT,
 * CC_BODY_TIMEOUT, CC_ATTEMPT_TIMEOUT, CC_MAX_RESPONSE_BYTES, CC_MAX_ATTEMPTS, CC_RETRY_BASE, CC_RETRY_MAX,
 * CC_RETRY_BUDGET, CC_USER_AGENT, CC_WEB_ID, the login cookie from CC_COOKIE or CC_COOKIE_FILE,
 * CC_CSRF_TOKEN (or the cookie's csrftoken), CC_HOST_ORIGINS, CC_UNSIGNED_ENDPOINTS, and CC_CONTRACTS_FILE (a deployment's additions to the field contracts).
 */
export function readCreativeCenterSettings(env: EnvReader): CreativeCenterSettings {
  const settings: CreativeCenterSettings = {
    baseUrl: env.url('CC_BASE_URL', DEFAULT_BASE_URL).replace(/\/+$/, ''),
    http: {
      connections: env.int('CC_CONNECTIONS', 4, { min: 1, max: 256 }),
      keepAliveTimeoutMs: 10_000,
      connectTimeoutMs: env.duration('CC_CONNECT_TIMEOUT', '10s', { min: '1ms', formerly: 'CC_CONNECT_TIMEOUT_MS' }),
      headersTimeoutMs: env.duration('CC_HEADERS_TIMEOUT', '30s', { min: '1ms', formerly: 'CC_HEADERS_TIMEOUT_MS' }),
      bodyTimeoutMs: env.duration('CC_BODY_TIMEOUT', '30s', { min: '1ms', formerly: 'CC_BODY_TIMEOUT_MS' }),
      attemptTimeoutMs: env.duration('CC_ATTEMPT_TIMEOUT', '1m', { min: '1ms', formerly: 'CC_ATTEMPT_TIMEOUT_MS' }),
      // At most 15 MiB so that any one item of a body, dead-lettered whole, fits the dead-letter topic (16 MiB).
      maxResponseBytes: env.size('CC_MAX_RESPONSE_BYTES', '8MiB', { min: '1KiB', max: '15MiB' }),
    },
    retry: {
      maxAttempts: env.int('CC_MAX_ATTEMPTS', DEFAULT_RETRY.maxAttempts, { min: 1, max: 100 }),
      baseDelayMs: env.duration('CC_RETRY_BASE', formatDuration(DEFAULT_RETRY.baseDelayMs), { formerly: 'CC_RETRY_BASE_MS' }),
      maxDelayMs: env.duration('CC_RETRY_MAX', formatDuration(DEFAULT_RETRY.maxDelayMs), { formerly: 'CC_RETRY_MAX_MS' }),
      budgetMs: env.duration('CC_RETRY_BUDGET', formatDuration(DEFAULT_RETRY.budgetMs), { formerly: 'CC_RETRY_BUDGET_MS' }),
    },
    ratePerSecond: env.number('CC_RATE_PER_SECOND', 1, { min: 0.001, max: 100_000 }),
    burst: env.int('CC_BURST', 1, { min: 1, max: 100_000 }),
    userAgent: env.string('CC_USER_AGENT', DEFAULT_USER_AGENT),
  }
  const webId = env.optionalString('CC_WEB_ID')
  if (webId !== undefined) {
    if (/^\d{19}$/.test(webId)) settings.webId = webId
    else env.problem('CC_WEB_ID: set the 19-digit web id, or leave it unset')
  }
  const cookie = env.optionalString('CC_COOKIE')
  const cookieFile = env.optionalString('CC_COOKIE_FILE')
  if (cookie !== undefined && cookieFile !== undefined) env.problem('CC_COOKIE / CC_COOKIE_FILE: set one of them, not both')
  else if (cookie !== undefined) settings.cookie = cookie
  else if (cookieFile !== undefined) {
    try {
      settings.cookie = readFileSync(cookieFile, 'utf8').trim()
    } catch {
      env.problem(`CC_COOKIE_FILE: cannot read ${cookieFile}`)
    }
  }
  const csrfToken = env.optionalString('CC_CSRF_TOKEN')
  if (csrfToken !== undefined) {
    if (/^[\x21-\x7e]+$/.test(csrfToken)) settings.csrfToken = csrfToken
    else env.problem('CC_CSRF_TOKEN: set the token as the browser sends it (printable characters, no spaces)')
  }
  // A logged-in browser keeps its CSRF token in the `csrftoken` cookie; without CC_CSRF_TOKEN it is taken from there.
  if (csrfToken === undefined && settings.cookie !== undefined) {
    const fromCookie = /(?:^|;\s*)csrftoken=([\x21-\x3a\x3c-\x7e]+)/.exec(settings.cookie)?.[1]
    if (fromCookie !== undefined) settings.csrfToken = fromCookie
  }
  const hostOrigins = env.optionalString('CC_HOST_ORIGINS')
  if (hostOrigins !== undefined) {
    const problem =
      'CC_HOST_ORIGINS: set a JSON object of host names and http(s) origins, e.g. {"ads.us.tiktok.com":"http://127.0.0.1:8080"}'
    try {
      const parsed: unknown = JSON.parse(hostOrigins)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      const out: Record<string, string> = {}
      for (const [host, value] of Object.entries(parsed)) {
        if (typeof value !== 'string' || !/^[a-z0-9.-]+$/i.test(host)) throw new Error(host)
        const url = new URL(value)
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(value)
        out[host.toLowerCase()] = url.origin
      }
      settings.hostOrigins = out
    } catch {
      env.problem(problem)
    }
  }
  const unsigned = env.list('CC_UNSIGNED_ENDPOINTS', [])
  const legacy = ENDPOINTS.filter((endpoint) => endpoint.generation === 'legacy').map((endpoint) => endpoint.name)
  const unknown = unsigned.filter((name) => !legacy.includes(name))
  if (unknown.length > 0) env.problem(`CC_UNSIGNED_ENDPOINTS: ${unknown.join(', ')} not a legacy endpoint (legacy: ${legacy.join(', ')})`)
  else if (unsigned.length > 0) settings.unsignedEndpoints = unsigned
  const contractsFile = env.optionalString('CC_CONTRACTS_FILE')
  if (contractsFile !== undefined) {
    let text: string | undefined
    try {
      text = readFileSync(contractsFile, 'utf8')
    } catch {
      env.problem(`CC_CONTRACTS_FILE: cannot read ${contractsFile}`)
    }
    if (text !== undefined) {
      try {
        const names = ENDPOINTS.map((endpoint) => endpoint.name)
        settings.contracts = parseContracts(text, contractsFile, names, CONTRACTS)
      } catch (error) {
        if (!(error instanceof ContractFileError)) throw error
        env.problem(`CC_CONTRACTS_FILE: ${error.message}`)
      }
    }
  }
  return settings
}
