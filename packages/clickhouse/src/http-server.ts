import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { formatSize } from '@trends/core'
import type { Logger } from '@trends/logger'
import { createEmbeddedConnection, identifier } from './embedded.ts'
import { allowedHosts, checkAccess, corsHeaders, createAuthenticator, preflightHeaders } from './http-access.ts'
import { answerLeavingBodyUnread, readBody } from './http-body.ts'
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-config.ts'
import { checkSettings, enforcedSettings, OUTSIDE_SETTINGS, OUTSIDE_TABLE_SETTINGS, outsideRefusal } from './limits.ts'
import { createStatementGuard } from './guard.ts'
import { ensurePassword } from './password.ts'
import { ClickHouseRefusal, httpStatusOf } from './refusal.ts'
import { openSandbox } from './sandbox.ts'

/**
 * ClickHouse's HTTP interface in front of the embedded store, so other processes and tools
 * (@clickhouse/client, curl, Grafana's ClickHouse data source) reach it as they reach a server:
 * the statement in the `query` parameter and/or the body (an insert's data follows its statement),
 * `database`, `default_format`, `query_id`, `param_*` query parameters, any other parameter as a
 * setting for that statement, `/ping`, credentials (basic auth, X-ClickHouse-User/Key headers or
 * user/password parameters), and errors in ClickHouse's form with its status codes.
 *
 * Refused as a careful server refuses them: no or wrong credentials, a Host that is not this
 * server's, an Origin not allowed, a body or a result over its cap, a setting that would lift a
 * limit, a database that does not exist. Every statement runs under max_execution_time.
 */
export interface ClickHouseHttpOptions {
  /** The embedded store's data folder (the one folder this process binds). */
  path: string
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Accepted users and their passwords; by default `default` with the password generated in `path` (./password.ts). */
  users?: Readonly<Record<string, string>>
  /** Exact origins whose browser pages may call the server; none by default. */
  allowedOrigins?: readonly string[]
  limits?: Partial<HttpLimits>
  /** Databases made at start, besides `default` (the pipeline's CLICKHOUSE_DATABASE); others must exist. */
  databases?: readonly string[]
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

interface Failure {
  code: number
  type: string
  text: string
}

function failureOf(error: unknown): Failure {
  const cause = (error as { cause?: unknown }).cause
  // The server's own refusals carry their text; the engine's errors come wrapped by chdb's connection.
  const once =
    error instanceof ClickHouseRefusal
      ? error.message
      : cause instanceof Error
        ? cause.message
        : error instanceof Error
          ? error.message
          : String(error)
  // The engine's errors come back with their prefix repeated once per layer that rethrew them.
  const raw = once.replace(/^(Code: \d+\. DB::Exception: )(?:Code: \d+\. DB::Exception: )+/, '$1')
  const match = /Code: (\d+)\. DB::Exception: [\s\S]*\((\w+)\)/.exec(raw)
  if (match !== null && match[1] === '452') {
    // The engine's constraint on a setting that names a file, URL or disk: refused as access, as a table function is.
    const outside = /Setting (\w+) should not be changed/.exec(raw)?.[1]
    const name = outside?.replace(/^merge_tree_/, '')
    if (outside !== undefined && (OUTSIDE_SETTINGS.includes(outside) || OUTSIDE_TABLE_SETTINGS.includes(name!))) {
      const refusal = outsideRefusal(name!)
      return { code: 497, type: 'ACCESS_DENIED', text: refusal.message }
    }
  }
  if (match !== null) return { code: Number(match[1]), type: match[2] ?? '', text: raw.trimEnd() }
  const fields = error as { code?: unknown; type?: unknown }
  const code = Number(fields.code ?? 1001)
  const type = typeof fields.type === 'string' ? fields.type : 'STD_EXCEPTION'
  return { code, type, text: `Code: ${code}. DB::Exception: ${raw}. (${type})` }
}

function contentType(format: string): string {
  return /^JSON/i.test(format) ? 'application/json; charset=UTF-8' : 'text/plain; charset=UTF-8'
}

/** The whole result, refused past the cap: the engine's max_result_bytes is checked per block, a block can be larger. */
async function collect(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
    size += buffer.length
    if (size > max)
      throw new ClickHouseRefusal(
        396,
        'TOO_MANY_ROWS_OR_BYTES',
        `Limit for result exceeded, max bytes: ${formatSize(max)} (CLICKHOUSE_HTTP_MAX_RESULT)`,
      )
    chunks.push(buffer)
  }
  return Buffer.concat(chunks, size)
}

type Connection = ReturnType<typeof createEmbeddedConnection>

export async function startClickHouseHttpServer(options: ClickHouseHttpOptions): Promise<ClickHouseHttpServer> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits }
  const authenticate = createAuthenticator(options.users ?? { default: ensurePassword(options.path) })
  const origins = new Set(options.allowedOrigins ?? [])
  const log = options.logger?.child({ component: 'clickhouse-http' })

  // The engine's access control first: it holds only if this is the process's first chDB session.
  const sandbox = openSandbox(options.path, limits)
  const guard = await createStatementGuard(sandbox)
  const system = createEmbeddedConnection(options.path, 'default')
  for (const database of new Set(options.databases ?? []))
    await system.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(database)}`, query_id: 'create-database' })
  const connections = new Map<string, Connection>([['default', system]])
  /** A connection for a database that exists; no database is made for a name a client sends. */
  async function connectionFor(database: string): Promise<Connection> {
    const known = connections.get(database)
    if (known !== undefined) return known
    const found = await system.exec({
      query: 'SELECT count() FROM system.databases WHERE name = {name:String}',
      query_params: { name: database },
      clickhouse_settings: { default_format: 'TabSeparated' },
    } as never)
    if ((await collect(found.stream, 1024)).toString().trim() !== '1')
      throw new ClickHouseRefusal(81, 'UNKNOWN_DATABASE', `Database ${identifier(database.slice(0, 128))} does not exist`)
    const connection = createEmbeddedConnection(options.path, database, { createDatabase: false })
    connections.set(database, connection)
    return connection
  }

  const fail = (request: IncomingMessage, response: ServerResponse, failure: Failure) => {
    const headers = { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(failure.code) }
    // A body left unread: the answer goes out whole and the connection closes after a lingering read.
    if (!request.complete) return answerLeavingBodyUnread(request, response, httpStatusOf(failure.code), headers, `${failure.text}\n`)
    response.writeHead(httpStatusOf(failure.code), headers)
    response.end(`${failure.text}\n`)
  }

  let hosts: ReadonlySet<string> = new Set()

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader('x-content-type-options', 'nosniff')
    const origin = checkAccess(request, hosts, origins)
    if (origin !== undefined) for (const [name, value] of Object.entries(corsHeaders(origin))) response.setHeader(name, value)
    if (request.method === 'OPTIONS') {
      response.writeHead(204, origin === undefined ? { allow: 'GET, POST, OPTIONS' } : preflightHeaders(origin))
      response.end()
      return
    }
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (url.pathname === '/ping' || url.pathname === '/replicas_status') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' })
      response.end('Ok.\n')
      return
    }
    if (url.pathname !== '/') throw new ClickHouseRefusal(1001, 'NOT_FOUND', 'There is no handler for this path')
    const params = url.searchParams
    authenticate(request, params)

    const clientSettings: Record<string, string> = {}
    const queryParams: Record<string, string> = {}
    for (const [key, value] of params) {
      if (key.startsWith('param_')) queryParams[key.slice(6)] = value
      else if (!NOT_SETTINGS.has(key)) clientSettings[key] = value
    }
    checkSettings(clientSettings, limits)
    const header = request.headers['x-clickhouse-database']
    const database = params.get('database') ?? (typeof header === 'string' ? header : 'default')
    const connection = await connectionFor(database)

    const body = request.method === 'POST' ? (await readBody(request, response, limits)).toString('utf8') : ''
    const head = params.get('query') ?? ''
    const sql = head === '' ? body : body === '' ? head : `${head}\n${body}`
    if (sql.trim() === '') throw new ClickHouseRefusal(62, 'SYNTAX_ERROR', 'Empty query')
    const format = /\bFORMAT\s+(\w+)\s*$/i.exec(head === '' ? body : head)?.[1] ?? params.get('default_format') ?? 'TabSeparated'
    // A server's defaults where chDB's differ (64-bit integers quoted in JSON output), the limits,
    // and the client's own settings, which may only lower them (checked above).
    const settings = { output_format_json_quote_64bit_integers: '1', ...enforcedSettings(limits), ...clientSettings }

    // Nothing has run yet: the statement is checked whole, as the engine will read it.
    // As on ClickHouse's own server, GET only reads: a link or an image tag cannot write.
    await guard.check(sql, queryParams, { readOnly: request.method !== 'POST' })

    const queryId = params.get('query_id') ?? crypto.randomUUID()
    const result = await connection
      .exec({
        query: sql,
        query_id: queryId,
        clickhouse_settings: { ...settings, default_format: format },
        ...(Object.keys(queryParams).length > 0 ? { query_params: queryParams } : {}),
      } as never)
      .catch((error: unknown) => {
        // A database dropped since its connection was made: forget the connection.
        if (failureOf(error).code === 81 && database !== 'default') connections.delete(database)
        throw error
      })
    const output = await collect(result.stream, limits.maxResultBytes)
    response.writeHead(200, {
      'content-type': contentType(format),
      'x-clickhouse-query-id': queryId,
      'x-clickhouse-format': format,
      'x-clickhouse-summary': JSON.stringify(result.summary ?? {}),
    })
    response.end(output)
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      const failure = failureOf(error)
      // The code and name only: ClickHouse's text can quote the statement's data.
      log?.debug({ code: failure.code, type: failure.type }, 'request refused')
      if (!response.headersSent) fail(request, response, failure)
      else response.destroy()
    })
  }
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above this often (30 s by default, longer than they are).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    listener,
  )
  server.maxConnections = limits.maxConnections
  // `Expect: 100-continue` reaches the handler too, which refuses a body it will not read before inviting it.
  server.on('checkContinue', listener)
  const host = options.host ?? '127.0.0.1'
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 8123, host, () => resolve())
    })
  } catch (error) {
    await system.close()
    sandbox.close()
    throw error
  }
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8123)
  hosts = allowedHosts(host, port)
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      for (const connection of connections.values()) await connection.close()
      sandbox.close()
    },
  }
}
