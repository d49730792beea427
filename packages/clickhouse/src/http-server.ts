import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import type { Logger } from '@trends/logger'
import { createEmbeddedConnection } from './embedded.ts'

/**
 * ClickHouse's HTTP interface in front of the embedded store, so other processes and tools
 * (@clickhouse/client, curl, Grafana's ClickHouse data source) reach it as they reach a server:
 * the statement in the `query` parameter and/or the body (an insert's data follows its statement),
 * `database`, `default_format`, `query_id`, `param_*` query parameters, any other parameter as a
 * setting for that statement, `/ping`, credentials (basic auth, X-ClickHouse-User/Key headers or
 * user/password parameters), and errors in ClickHouse's form with its status codes.
 */
export interface ClickHouseHttpOptions {
  /** The embedded store's data folder (the one folder this process binds). */
  path: string
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Accepted users and their passwords; by default `default` with an empty password. */
  users?: Readonly<Record<string, string>>
  logger?: Logger
}

export interface ClickHouseHttpServer {
  url: string
  port: number
  close(): Promise<void>
}

// URL parameters that are not settings.
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'role',
  'quota_key',
])

/** ClickHouse's HTTP status for some error codes; 500 for the rest. */
const STATUS_BY_CODE: Readonly<Record<number, number>> = { 60: 404, 81: 404, 62: 400, 516: 403, 192: 403, 164: 403 }

interface Failure {
  code: number
  type: string
  text: string
}

function failureOf(error: unknown): Failure {
  const cause = (error as { cause?: unknown }).cause
  const raw = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error)
  const match = /Code: (\d+)\. DB::Exception: [\s\S]*\((\w+)\)/.exec(raw)
  if (match !== null) return { code: Number(match[1]), type: match[2] ?? '', text: raw.trimEnd() }
  const fields = error as { code?: unknown; type?: unknown }
  const code = Number(fields.code ?? 1001)
  const type = typeof fields.type === 'string' ? fields.type : 'STD_EXCEPTION'
  return { code, type, text: `Code: ${code}. DB::Exception: ${raw}. (${type})` }
}

function credentials(request: IncomingMessage, params: URLSearchParams): { user: string; password: string } {
  const header = request.headers['x-clickhouse-user']
  if (typeof header === 'string') {
    const key = request.headers['x-clickhouse-key']
    return { user: header, password: typeof key === 'string' ? key : '' }
  }
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  return { user: params.get('user') ?? 'default', password: params.get('password') ?? '' }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8')
}

function contentType(format: string): string {
  return /^JSON/i.test(format) ? 'application/json; charset=UTF-8' : 'text/plain; charset=UTF-8'
}

export async function startClickHouseHttpServer(options: ClickHouseHttpOptions): Promise<ClickHouseHttpServer> {
  const users = options.users ?? { default: '' }
  const connections = new Map<string, ReturnType<typeof createEmbeddedConnection>>()
  const connectionFor = (database: string) => {
    let connection = connections.get(database)
    if (connection === undefined) {
      connection = createEmbeddedConnection(options.path, database)
      connections.set(database, connection)
    }
    return connection
  }
  const log = options.logger?.child({ component: 'clickhouse-http' })

  const fail = (response: ServerResponse, failure: Failure) => {
    response.writeHead(STATUS_BY_CODE[failure.code] ?? 500, {
      'content-type': 'text/plain; charset=UTF-8',
      'x-clickhouse-exception-code': String(failure.code),
    })
    response.end(`${failure.text}\n`)
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (url.pathname === '/ping' || url.pathname === '/replicas_status') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' })
      response.end('Ok.\n')
      return
    }
    if (url.pathname !== '/') {
      fail(response, { code: 1001, type: 'NOT_FOUND', text: `Code: 1001. DB::Exception: no handler for ${url.pathname}. (NOT_FOUND)` })
      return
    }
    const params = url.searchParams
    const { user, password } = credentials(request, params)
    const expected = users[user]
    if (expected === undefined || !sameSecret(password, expected)) {
      // Same answer for an unknown user and a wrong password, as ClickHouse gives.
      fail(response, {
        code: 516,
        type: 'AUTHENTICATION_FAILED',
        text: `Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
      })
      return
    }
    const body = request.method === 'POST' ? await readBody(request) : ''
    const head = params.get('query') ?? ''
    const sql = head === '' ? body : body === '' ? head : `${head}\n${body}`
    if (sql.trim() === '') {
      fail(response, { code: 62, type: 'SYNTAX_ERROR', text: 'Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)' })
      return
    }
    // A server's defaults where chDB's differ: 64-bit integers quoted in JSON output.
    const settings: Record<string, string> = { output_format_json_quote_64bit_integers: '1' }
    const queryParams: Record<string, string> = {}
    for (const [key, value] of params) {
      if (key.startsWith('param_')) queryParams[key.slice(6)] = value
      else if (!NOT_SETTINGS.has(key)) settings[key] = value
    }
    const format = /\bFORMAT\s+(\w+)\s*$/i.exec(head === '' ? body : head)?.[1] ?? params.get('default_format') ?? 'TabSeparated'
    const queryId = params.get('query_id') ?? crypto.randomUUID()
    const database = params.get('database') ?? 'default'
    const result = await connectionFor(database).exec({
      query: sql,
      query_id: queryId,
      clickhouse_settings: { ...settings, default_format: format },
      ...(Object.keys(queryParams).length > 0 ? { query_params: queryParams } : {}),
    } as never)
    const chunks: Buffer[] = []
    for await (const chunk of result.stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array))
    const output = Buffer.concat(chunks)
    response.writeHead(200, {
      'content-type': contentType(format),
      'x-clickhouse-query-id': queryId,
      'x-clickhouse-format': format,
      'x-clickhouse-summary': JSON.stringify(result.summary ?? {}),
    })
    response.end(output)
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const failure = failureOf(error)
      // The code and name only: ClickHouse's text can quote the statement's data.
      log?.debug({ code: failure.code, type: failure.type }, 'statement failed')
      if (!response.headersSent) fail(response, failure)
      else response.destroy()
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8123, host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8123)
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      for (const connection of connections.values()) await connection.close()
    },
  }
}
