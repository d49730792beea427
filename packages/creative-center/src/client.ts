import { setTimeout as sleep } from 'node:timers/promises'
import { attachDetail, ErrorCodes, TrendsError, type ErrorCode } from '@trends/core'
import type { Logger } from '@trends/logger'
import { counter, histogram, type Registry } from '@trends/metrics'
import {
  classifyEnvelope,
  classifyResponse,
  classifyTransport,
  excerpt,
  type Classified,
  type Pagination,
  type RawItem,
} from './classify.ts'
import { DEFAULT_HOST, ENDPOINTS, hostsOf, type EndpointDef } from './endpoints.ts'
import { HttpTransport, TransportError, type HttpRequest } from './http.ts'
import { sharedBucket, type TokenBucket } from './rate-limit.ts'
import { nextDelay, parseRetryAfter } from './retry.ts'
import { createScrubber, secretForms } from './scrub.ts'
import { DEFAULT_BASE_URL, type CreativeCenterSettings } from './settings.ts'
import { legacySigningHeaders, newIdentity, type LegacyIdentity } from './sign.ts'
import { endsChart } from './snapshot.ts'
import { CONTRACTS, describeDrift, driftFieldLabel, driftLabelSets, pageDrift, type PageDrift } from './contracts.ts'
import { upstreamParams, type FetchTarget } from './target.ts'
import { INDUSTRY_LIST_PATH, readIndustryList } from './industries.ts'
import { parseJson, type Json } from './json.ts'

/** What sending a request needs of an endpoint: its name (metrics, logs), generation (headers), page and hosts. */
type RequestDef = Pick<EndpointDef, 'name' | 'generation' | 'referer' | 'host' | 'fallbackHosts'>

/** The portal's industry list, asked like a legacy page (its signing headers are harmless where unchecked). */
const INDUSTRY_LIST: RequestDef = {
  name: 'industries',
  generation: 'legacy',
  referer: '/business/creativecenter/inspiration/popular/hashtag/pc/en',
}

/** The codes a page can fail with, each a failures series from the start. */
const CC_CODES = ErrorCodes.filter((code) => code.startsWith('CC_'))

/**
 * Thrown when a page could not be fetched: it names the endpoint, the upstream parameters and the
 * attempts made. A short excerpt of the last body is kept on `detail`, out of enumerable properties
 * so that it never reaches a log line.
 */
export class CreativeCenterError extends TrendsError {
  readonly endpoint: string
  readonly params: Readonly<Record<string, string>>
  readonly page: number
  readonly attempts: number
  readonly status: number | undefined
  readonly requestId: string | undefined

  constructor(
    code: ErrorCode,
    message: string,
    context: { endpoint: string; params: Record<string, string>; page: number; attempts: number; status?: number; requestId?: string },
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, `${context.endpoint} page ${context.page}: ${message}`, options)
    this.endpoint = context.endpoint
    this.params = context.params
    this.page = context.page
    this.attempts = context.attempts
    this.status = context.status
    this.requestId = context.requestId
  }
}

/** One page of a chart, with everything a raw record needs to say where it came from. */
export interface PageResult {
  target: FetchTarget
  page: number
  items: RawItem[]
  pagination: Pagination
  requestId: string | undefined
  status: number
  /** Latency of the successful attempt, milliseconds. */
  latencyMs: number
  attempts: number
  /** The upstream parameters sent (no secrets: the cookie travels as a header). */
  params: Readonly<Record<string, string>>
  fetchedAt: Date
  /** How the page's items differ from the endpoint's contract (contracts.ts); empty when they keep it. */
  drift: PageDrift[]
}

export interface PageOptions {
  /** Items per page, capped at the endpoint's maximum. */
  pageSize?: number
  /** Called for every HTTP attempt of this call (the fetch log). */
  onAttempt?: (event: AttemptEvent) => void
}

/** Reported for every HTTP attempt, for the fetch log. */
export interface AttemptEvent {
  endpoint: string
  page: number
  attempt: number
  status: number | undefined
  latencyMs: number
  outcome: 'ok' | ErrorCode
  items: number
  requestId: string | undefined
  willRetry: boolean
  params: Readonly<Record<string, string>>
  /** On a successful page: how its items differ from the endpoint's contract (empty otherwise). */
  drift: PageDrift[]
}

export interface ClientDeps {
  settings: CreativeCenterSettings
  logger: Logger
  metrics: Registry
  /** A bucket of its own (tests); by default the process-wide bucket for the host. */
  bucket?: TokenBucket
  onAttempt?: (event: AttemptEvent) => void
  now?: () => number
  random?: () => number
}

/** What a classifier makes of one response: a value (with how many items it carried) or a named failure. */
type Outcome<T> =
  { kind: 'ok'; value: T; items: number; requestId: string | undefined; drift?: PageDrift[] } | Extract<Classified, { kind: 'error' }>

type AttemptResult<T> = {
  latencyMs: number
  status: number | undefined
  body: string
  retryAfterMs: number | undefined
  outcome: Outcome<T>
}

const BODY_PARAMS_AS_NUMBERS = /^\d{1,15}$/

export interface CreativeCenterClient {
  /** The web pages' origin (sent as Referer and Origin); API requests may go to other hosts (originOf). */
  origin: string
  /** Whether requests carry a logged-in session (CC_COOKIE): logged out, some lists stop at a few rows. */
  loggedIn: boolean
  /**
   * Takes a share (0 < share ≤ 1) of the request budget (CC_RATE_PER_SECOND, CC_BURST): the worker's
   * part of the deployment's, from its part of the tasks topic's partitions.
   */
  shareBudget(fraction: number): void
  /** The rate and burst the client now keeps to. */
  budget(): { ratePerSecond: number; burst: number }
  /**
   * The upstream's industry list (id → name), from the portal's trendsTcc; read by what an
   * industry looks like, wherever it sits (industries.ts). Throws CreativeCenterError when it cannot.
   */
  fetchIndustries(signal?: AbortSignal): Promise<Map<string, string>>
  /** Fetches one page (retrying transient failures); throws CreativeCenterError when it cannot. */
  fetchPage(target: FetchTarget, page: number, options?: PageOptions, signal?: AbortSignal): Promise<PageResult>
  /**
   * Pages through a chart to `maxPages`, stopping early when the server says there is no more
   * (`has_more`/`hasMore` false), the total is reached, or a page comes back empty.
   */
  fetchPages(target: FetchTarget, options: PageOptions & { maxPages: number }, signal?: AbortSignal): AsyncGenerator<PageResult>
  /** Closes the connections once requests in flight have finished. */
  close(): Promise<void>
  /** Closes the connections at once, failing requests in flight. */
  destroy(): Promise<void>
}

export function createCreativeCenterClient(deps: ClientDeps): CreativeCenterClient {
  const { settings, logger, metrics } = deps
  const now = deps.now ?? Date.now
  /** The web pages' origin (Referer, Origin); where the API hosts are reached is originOf's to say. */
  const origin = new URL(settings.baseUrl).origin
  // One transport and one request budget per upstream origin (a test's bucket stands for all).
  const transports = new Map<string, HttpTransport>()
  const buckets = new Map<string, TokenBucket>()
  let budgetShare = 1
  const transportFor = (at: string): HttpTransport => {
    let made = transports.get(at)
    if (made === undefined) {
      made = new HttpTransport(at, settings.http)
      transports.set(at, made)
    }
    return made
  }
  const bucketFor = (at: string): TokenBucket => {
    if (deps.bucket !== undefined) return deps.bucket
    let made = buckets.get(at)
    if (made === undefined) {
      made = sharedBucket(new URL(at).host, settings.ratePerSecond, settings.burst)
      if (budgetShare < 1) made.share(budgetShare)
      buckets.set(at, made)
    }
    return made
  }
  /**
   * Where an API host is reached: CC_HOST_ORIGINS' entry for it; else, when CC_BASE_URL points
   * somewhere of its own (a simulator, a proxy), there; else the host itself over HTTPS.
   */
  const originOf = (host: string): string =>
    settings.hostOrigins?.[host] ?? (settings.baseUrl === DEFAULT_BASE_URL ? `https://${host}` : origin)
  /** An endpoint's origins in order of preference (hosts reached at one origin count once). */
  const originsOf = (endpoint: RequestDef): string[] => [...new Set(hostsOf(endpoint).map(originOf))]
  /** Per endpoint, the origin that answered last: the next request goes there first. */
  const answering = new Map<string, number>()
  // The main origin's transport and bucket from the start (readiness checks and the budget read them).
  const bucket = bucketFor(originOf(DEFAULT_HOST))
  const identity: LegacyIdentity = newIdentity(settings.webId)
  const log = logger.child({ component: 'creative-center' })
  // An error body can echo the request's cookie or CSRF token; every body and transport message is
  // scrubbed of them before it is read, so nothing derived from it (messages, request ids, the
  // fetch log, dead letters, the error's detail) can carry them.
  const contracts = settings.contracts ?? CONTRACTS
  const scrub = createScrubber(secretForms(settings.cookie, settings.csrfToken === undefined ? [] : [settings.csrfToken]))

  const requests = counter(metrics, 'trends_cc_requests_total', 'Creative Center HTTP attempts by endpoint and outcome', [
    'endpoint',
    'outcome',
  ])
  const latency = histogram(
    metrics,
    'trends_cc_request_seconds',
    'Creative Center HTTP attempt latency',
    ['endpoint'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  )
  const retries = counter(metrics, 'trends_cc_retries_total', 'Creative Center attempts retried, by the failure that caused it', [
    'endpoint',
    'code',
  ])
  const failures = counter(metrics, 'trends_cc_failures_total', 'Creative Center pages given up on, by error code', ['endpoint', 'code'])
  const itemsTotal = counter(metrics, 'trends_cc_items_total', 'Creative Center list items received', ['endpoint'])
  const driftTotal = counter(
    metrics,
    'trends_cc_drift_total',
    "Pages whose items drifted from the endpoint's contract, by field (a name the contract does not know: other) and kind",
    ['endpoint', 'field', 'kind'],
  )
  // Every series an alert or a panel reads starts at 0 for each endpoint, so a rule on increase()
  // sees the first event, and a panel reads 0 rather than no data before it.
  for (const endpoint of ENDPOINTS) {
    requests.inc({ endpoint: endpoint.name, outcome: 'ok' }, 0)
    itemsTotal.inc({ endpoint: endpoint.name }, 0)
    for (const code of CC_CODES) {
      failures.inc({ endpoint: endpoint.name, code }, 0)
      retries.inc({ endpoint: endpoint.name, code }, 0)
    }
    const contract = contracts[endpoint.name]
    if (contract !== undefined)
      for (const { field, kind } of driftLabelSets(contract)) driftTotal.inc({ endpoint: endpoint.name, field, kind }, 0)
  }

  function headersFor(endpoint: RequestDef): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json, text/plain, */*',
      'user-agent': settings.userAgent,
      referer: `${origin}${endpoint.referer}`,
    }
    const cookies: string[] = []
    if (endpoint.generation === 'legacy') {
      if (settings.unsignedEndpoints?.includes(endpoint.name) !== true) Object.assign(headers, legacySigningHeaders(identity, now()))
      headers['lang'] = 'en'
      cookies.push('lang_type=en')
    } else {
      // agw-js-conv asks the gateway to send 64-bit numbers as strings; the parser copes either way.
      Object.assign(headers, { origin, 'agw-js-conv': 'str' })
      cookies.push('creative_one_locale=en', 'lang_type=en')
      if (settings.csrfToken !== undefined) headers['x-secsdk-csrf-token'] = settings.csrfToken
    }
    // A logged-in call carries the session's CSRF token as the browser does.
    if (settings.csrfToken !== undefined) headers['x-csrftoken'] = settings.csrfToken
    if (settings.cookie !== undefined) cookies.push(settings.cookie)
    headers['cookie'] = cookies.join('; ')
    return headers
  }

  function buildRequest(
    endpoint: RequestDef,
    path: string,
    params: Record<string, string>,
    method: 'GET' | 'POST',
    signal?: AbortSignal,
  ): HttpRequest {
    const headers = headersFor(endpoint)
    if (method === 'GET') {
      const query = new URLSearchParams(params).toString()
      return { method, path: query === '' ? path : `${path}?${query}`, headers, ...(signal === undefined ? {} : { signal }) }
    }
    const body: Record<string, string | number> = {}
    for (const [name, value] of Object.entries(params)) body[name] = BODY_PARAMS_AS_NUMBERS.test(value) ? Number(value) : value
    headers['content-type'] = 'application/json'
    return { method, path, headers, body: JSON.stringify(body), ...(signal === undefined ? {} : { signal }) }
  }

  /** One HTTP attempt, classified; transport failures become outcomes too so the retry loop sees one shape. */
  async function attemptOnce<T>(
    transport: HttpTransport,
    request: HttpRequest,
    classify: (status: number, contentType: string, text: string) => Outcome<T>,
  ): Promise<AttemptResult<T>> {
    const started = performance.now()
    try {
      const response = await transport.send(request)
      const text = scrub(response.text)
      return {
        latencyMs: performance.now() - started,
        status: response.status,
        body: text,
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], now()),
        outcome: classify(response.status, response.headers['content-type'] ?? '', text),
      }
    } catch (error) {
      if (!(error instanceof TransportError)) throw error
      const outcome: Outcome<T> = { kind: 'error', code: error.code, retryable: error.retryable, message: scrub(error.message) }
      return { latencyMs: performance.now() - started, status: undefined, body: '', retryAfterMs: undefined, outcome }
    }
  }

  /** Runs attempts until one succeeds, a failure is not worth retrying, or the budget is spent. */
  async function withRetries<T>(
    endpoint: RequestDef,
    page: number,
    params: Record<string, string>,
    request: () => HttpRequest,
    classify: (status: number, contentType: string, text: string) => Outcome<T>,
    signal: AbortSignal | undefined,
    onAttempt: ((event: AttemptEvent) => void) | undefined,
  ): Promise<{ value: T; status: number; latencyMs: number; attempts: number; requestId: string | undefined; drift: PageDrift[] }> {
    const context = { endpoint: endpoint.name, params, page }
    const origins = originsOf(endpoint)
    let waitedMs = 0
    let hostMoves = 0
    for (let attempt = 1; ; attempt++) {
      const at = origins[(answering.get(endpoint.name) ?? 0) % origins.length]!
      try {
        await bucketFor(at).take(signal)
      } catch (cause) {
        throw new CreativeCenterError(
          'CC_ABORTED',
          'aborted while waiting for the rate limit',
          { ...context, attempts: attempt - 1 },
          { cause },
        )
      }
      const { outcome, status, latencyMs, body, retryAfterMs } = await attemptOnce(transportFor(at), request(), classify)
      const label: AttemptEvent['outcome'] = outcome.kind === 'ok' ? 'ok' : outcome.code
      requests.inc({ endpoint: endpoint.name, outcome: label })
      latency.observe({ endpoint: endpoint.name }, latencyMs / 1000)
      const event = { endpoint: endpoint.name, page, attempt, status, latencyMs, outcome: label, requestId: outcome.requestId, params }
      if (outcome.kind === 'ok') {
        itemsTotal.inc({ endpoint: endpoint.name }, outcome.items)
        const drift = outcome.drift ?? []
        const contract = contracts[endpoint.name]
        for (const entry of drift)
          driftTotal.inc({
            endpoint: endpoint.name,
            field: contract === undefined ? 'other' : driftFieldLabel(contract, entry.field),
            kind: entry.kind,
          })
        if (drift.length > 0)
          log.warn(
            { endpoint: endpoint.name, page, drift: describeDrift(drift), requestId: outcome.requestId },
            'the page drifted from the contract',
          )
        const done: AttemptEvent = { ...event, items: outcome.items, willRetry: false, drift }
        deps.onAttempt?.(done)
        onAttempt?.(done)
        if (status === undefined) throw new Error('a response without a status')
        return { value: outcome.value, status, latencyMs, attempts: attempt, requestId: outcome.requestId, drift }
      }
      // A host that does not serve the API (no connection, or 404): the next host of the endpoint at
      // once, each at most once per page; the one that answers stays in use for later requests.
      if (
        origins.length > 1 &&
        hostMoves < origins.length - 1 &&
        (outcome.code === 'CC_CONNECTION' || status === 404) &&
        signal?.aborted !== true
      ) {
        hostMoves++
        answering.set(endpoint.name, ((answering.get(endpoint.name) ?? 0) + 1) % origins.length)
        const moved: AttemptEvent = { ...event, items: 0, willRetry: true, drift: [] }
        deps.onAttempt?.(moved)
        onAttempt?.(moved)
        log.warn(
          { endpoint: endpoint.name, code: outcome.code, status, next: new URL(origins[answering.get(endpoint.name)!]!).host },
          'the host does not serve the endpoint; trying the next',
        )
        continue
      }
      const delay = nextDelay(settings.retry, attempt - 1, retryAfterMs, deps.random)
      const worthRetrying = outcome.retryable && outcome.code !== 'CC_ABORTED'
      const willRetry =
        worthRetrying && attempt < settings.retry.maxAttempts && waitedMs + delay <= settings.retry.budgetMs && signal?.aborted !== true
      const failed: AttemptEvent = { ...event, items: 0, willRetry, drift: [] }
      deps.onAttempt?.(failed)
      onAttempt?.(failed)
      if (!willRetry) {
        failures.inc({ endpoint: endpoint.name, code: outcome.code })
        log.warn(
          { endpoint: endpoint.name, page, code: outcome.code, status, attempts: attempt, requestId: outcome.requestId },
          'creative center page failed',
        )
        const error = new CreativeCenterError(
          outcome.code,
          `${outcome.message}${worthRetrying ? ` (gave up after ${attempt} attempts)` : ''}`,
          {
            ...context,
            attempts: attempt,
            ...(status === undefined ? {} : { status }),
            ...(outcome.requestId === undefined ? {} : { requestId: outcome.requestId }),
          },
          // True for the codes the client retries (it gave up on attempts or budget): a later try may succeed.
          { retryable: worthRetrying },
        )
        throw attachDetail(error, excerpt(body))
      }
      retries.inc({ endpoint: endpoint.name, code: outcome.code })
      log.debug({ endpoint: endpoint.name, page, code: outcome.code, attempt, delayMs: delay }, 'creative center attempt retried')
      waitedMs += delay
      try {
        await sleep(delay, undefined, signal === undefined ? {} : { signal })
      } catch (cause) {
        throw new CreativeCenterError('CC_ABORTED', 'aborted while waiting to retry', { ...context, attempts: attempt }, { cause })
      }
    }
  }

  /** The Report API needs the end of the current period from an overview call first. */
  async function preludeParams(
    target: FetchTarget,
    signal?: AbortSignal,
    onAttempt?: (event: AttemptEvent) => void,
  ): Promise<Record<string, string>> {
    const { endpoint } = target
    const prelude = endpoint.prelude
    const field = prelude?.fieldByPeriod[target.period ?? '']
    if (prelude === undefined || field === undefined) return {}
    const classify = (status: number, contentType: string, text: string): Outcome<string> => {
      const envelope = classifyEnvelope(endpoint, status, contentType, text)
      if (envelope.kind === 'error') return envelope
      const value = envelope.body[field]
      return typeof value === 'string' || typeof value === 'number'
        ? { kind: 'ok', value: String(value), items: 0, requestId: envelope.requestId }
        : { kind: 'error', code: 'CC_SCHEMA_DRIFT', retryable: false, message: `the overview ${prelude.path} has no ${field}` }
    }
    const { value } = await withRetries(
      endpoint,
      0,
      {},
      () => buildRequest(endpoint, prelude.path, {}, 'GET', signal),
      classify,
      signal,
      onAttempt,
    )
    return { [prelude.param]: value }
  }

  async function fetchPageWith(
    target: FetchTarget,
    page: number,
    pageSize: number,
    extra: Record<string, string>,
    signal: AbortSignal | undefined,
    onAttempt: ((event: AttemptEvent) => void) | undefined,
  ): Promise<PageResult> {
    const { endpoint } = target
    const params = upstreamParams(target, page, pageSize, extra)
    const fetchedAt = new Date(now())
    const classify = (status: number, contentType: string, text: string): Outcome<Extract<Classified, { kind: 'ok' }>> => {
      const classified = classifyResponse(endpoint, status, contentType, text, page)
      if (classified.kind === 'error') return classified
      const contract = contracts[endpoint.name]
      const drift =
        contract === undefined
          ? []
          : pageDrift(
              contract,
              classified.items.flatMap((item) => (item.value === null ? [] : [item.value])),
            )
      return { kind: 'ok', value: classified, items: classified.items.length, requestId: classified.requestId, drift }
    }
    const { value, status, latencyMs, attempts, drift } = await withRetries(
      endpoint,
      page,
      params,
      () => buildRequest(endpoint, endpoint.path, params, endpoint.method, signal),
      classify,
      signal,
      onAttempt,
    )
    return {
      target,
      page,
      items: value.items,
      pagination: value.pagination,
      requestId: value.requestId,
      status,
      latencyMs,
      attempts,
      params,
      fetchedAt,
      drift,
    }
  }

  return {
    origin,
    loggedIn: settings.cookie !== undefined,

    shareBudget(fraction: number): void {
      budgetShare = fraction
      bucket.share(fraction)
      for (const each of buckets.values()) each.share(fraction)
    },

    budget(): { ratePerSecond: number; burst: number } {
      return { ratePerSecond: bucket.ratePerSecond, burst: bucket.burst }
    },

    async fetchIndustries(signal?: AbortSignal): Promise<Map<string, string>> {
      const classify = (status: number, contentType: string, text: string): Outcome<Map<string, string>> => {
        const failed = (code: ErrorCode, message: string): Outcome<Map<string, string>> => ({
          kind: 'error',
          code,
          retryable: false,
          message,
        })
        const refused = classifyTransport(status, contentType, text)
        if (refused !== undefined) return refused
        let body: Json
        try {
          body = parseJson(text)
        } catch (cause) {
          return failed('CC_INVALID_JSON', `the body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
        }
        const code = typeof body === 'object' && body !== null && !Array.isArray(body) ? body['code'] : undefined
        if (code !== undefined && code !== 0 && code !== '0') return failed('CC_API_ERROR', `code ${JSON.stringify(code)}`)
        const industries = readIndustryList(body)
        if (industries.size === 0)
          return failed('CC_MISSING_LIST', 'nothing in the answer looks like an industry (an 11-digit id with a name)')
        return { kind: 'ok', value: industries, items: industries.size, requestId: undefined }
      }
      const { value } = await withRetries(
        INDUSTRY_LIST,
        0,
        {},
        () => buildRequest(INDUSTRY_LIST, INDUSTRY_LIST_PATH, {}, 'GET', signal),
        classify,
        signal,
        undefined,
      )
      return value
    },

    async fetchPage(target: FetchTarget, page: number, options: PageOptions = {}, signal?: AbortSignal): Promise<PageResult> {
      const pageSize = Math.min(options.pageSize ?? target.endpoint.pageSizeCap, target.endpoint.pageSizeCap)
      return fetchPageWith(target, page, pageSize, await preludeParams(target, signal, options.onAttempt), signal, options.onAttempt)
    },

    async *fetchPages(target: FetchTarget, options: PageOptions & { maxPages: number }, signal?: AbortSignal): AsyncGenerator<PageResult> {
      const pageSize = Math.min(options.pageSize ?? target.endpoint.pageSizeCap, target.endpoint.pageSizeCap)
      const extra = await preludeParams(target, signal, options.onAttempt)
      let seen = 0
      for (let page = 1; page <= options.maxPages; page++) {
        const result = await fetchPageWith(target, page, pageSize, extra, signal, options.onAttempt)
        yield result
        seen += result.items.length
        if (endsChart({ items: result.items.length, ...result.pagination }, seen)) return
      }
    },

    async close(): Promise<void> {
      await Promise.all([...transports.values()].map((each) => each.close()))
    },

    async destroy(): Promise<void> {
      await Promise.all([...transports.values()].map((each) => each.destroy()))
    },
  }
}
