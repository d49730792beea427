import path from 'node:path'
import { formatDuration, type EnvReader } from '@trends/core'
import { DEFAULT_EMBEDDED_PATH } from './config.ts'
import type { StatementLimits } from './limits.ts'

/** What one request may cost the embedded store's HTTP server. */
export interface HttpLimits extends StatementLimits {
  /** Bytes of request body, as sent and again once decompressed (CLICKHOUSE_HTTP_MAX_BODY). */
  maxBodyBytes: number
  /** How many times its compressed size a body may inflate to (CLICKHOUSE_HTTP_MAX_INFLATE_RATIO). */
  maxInflateRatio: number
  /** Open connections at once; more are closed as they arrive (CLICKHOUSE_HTTP_MAX_CONNECTIONS). */
  maxConnections: number
  /** Time to send the request headers (CLICKHOUSE_HTTP_HEADERS_TIMEOUT). */
  headersTimeoutMs: number
  /** Time to send the whole request, body included (CLICKHOUSE_HTTP_REQUEST_TIMEOUT). */
  requestTimeoutMs: number
  /** How long an idle kept-alive connection stays open (CLICKHOUSE_HTTP_KEEP_ALIVE_TIMEOUT). */
  keepAliveTimeoutMs: number
}

/**
 * ClickHouse's own defaults where it has them (max_execution_time aside, which it leaves unlimited);
 * the rest sized for one machine's pipeline: the sink's largest batch (SINK_BATCH_BYTES, 32 MiB) fits
 * the body cap twice, @clickhouse/client drops idle sockets after 2.5 s, well before 10 s.
 */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxBodyBytes: 64 * 1024 ** 2,
  maxInflateRatio: 100,
  maxExecutionTimeSeconds: 60,
  maxResultBytes: 256 * 1024 ** 2,
  maxMemoryBytes: 1024 ** 3,
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
}

export interface ClickHouseServeSettings {
  /** The embedded store's folder (CLICKHOUSE_PATH). */
  path: string
  /** Made at start with `default`, so the migrations have it (CLICKHOUSE_DATABASE). */
  database: string
  host: string
  port: number
  /** CLICKHOUSE_HTTP_USERS; undefined means the user default with the generated password. */
  users: Readonly<Record<string, string>> | undefined
  /** Exact origins (scheme://host:port) whose browser pages may call the server. */
  allowedOrigins: readonly string[]
  limits: HttpLimits
}

function duration(env: EnvReader, key: string, fallbackMs: number): number {
  return env.duration(key, formatDuration(fallbackMs), { min: '1s' })
}

function size(env: EnvReader, key: string, fallback: number): number {
  return env.size(key, `${fallback}B`, { min: '1KiB' })
}

function users(env: EnvReader): Record<string, string> | undefined {
  if (env.optionalString('CLICKHOUSE_HTTP_USERS') === undefined) return undefined
  const read: Record<string, string> = Object.create(null) as Record<string, string>
  for (const entry of env.list('CLICKHOUSE_HTTP_USERS', [])) {
    const colon = entry.indexOf(':')
    if (colon <= 0) env.problem('CLICKHOUSE_HTTP_USERS: user:password pairs separated by commas (got an entry without a user name)')
    else read[entry.slice(0, colon)] = entry.slice(colon + 1)
  }
  return read
}

function origins(env: EnvReader): string[] {
  if (env.optionalString('CLICKHOUSE_HTTP_ALLOWED_ORIGINS') === undefined) return []
  const read = env.list('CLICKHOUSE_HTTP_ALLOWED_ORIGINS', [])
  for (const origin of read) {
    let exact = false
    try {
      const url = new URL(origin)
      exact = (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin
    } catch {
      exact = false
    }
    if (!exact)
      env.problem(`CLICKHOUSE_HTTP_ALLOWED_ORIGINS: exact origins such as http://localhost:3000, no path (got ${JSON.stringify(origin)})`)
  }
  return read
}

/** Every CLICKHOUSE_HTTP_* setting, each problem recorded on `env` (call env.done() after). */
export function readServeSettings(env: EnvReader): ClickHouseServeSettings {
  const defaults = DEFAULT_HTTP_LIMITS
  const limits: HttpLimits = {
    maxBodyBytes: size(env, 'CLICKHOUSE_HTTP_MAX_BODY', defaults.maxBodyBytes),
    maxInflateRatio: env.int('CLICKHOUSE_HTTP_MAX_INFLATE_RATIO', defaults.maxInflateRatio, { min: 2, max: 100_000 }),
    maxExecutionTimeSeconds: duration(env, 'CLICKHOUSE_HTTP_MAX_EXECUTION_TIME', defaults.maxExecutionTimeSeconds * 1000) / 1000,
    maxResultBytes: size(env, 'CLICKHOUSE_HTTP_MAX_RESULT', defaults.maxResultBytes),
    maxMemoryBytes: size(env, 'CLICKHOUSE_HTTP_MAX_MEMORY', defaults.maxMemoryBytes),
    maxConnections: env.int('CLICKHOUSE_HTTP_MAX_CONNECTIONS', defaults.maxConnections, { min: 1, max: 10_000 }),
    headersTimeoutMs: duration(env, 'CLICKHOUSE_HTTP_HEADERS_TIMEOUT', defaults.headersTimeoutMs),
    requestTimeoutMs: duration(env, 'CLICKHOUSE_HTTP_REQUEST_TIMEOUT', defaults.requestTimeoutMs),
    keepAliveTimeoutMs: duration(env, 'CLICKHOUSE_HTTP_KEEP_ALIVE_TIMEOUT', defaults.keepAliveTimeoutMs),
  }
  // A result is built in memory before it is sent: a statement must be allowed at least that much.
  if (limits.maxMemoryBytes < limits.maxResultBytes)
    env.problem('CLICKHOUSE_HTTP_MAX_MEMORY: at least CLICKHOUSE_HTTP_MAX_RESULT (a result is built in memory before it is sent)')
  // Node refuses a request timeout shorter than the headers' (the headers are part of the request).
  if (limits.requestTimeoutMs < limits.headersTimeoutMs)
    env.problem('CLICKHOUSE_HTTP_REQUEST_TIMEOUT: at least CLICKHOUSE_HTTP_HEADERS_TIMEOUT (the headers are part of the request)')
  return {
    path: path.resolve(env.string('CLICKHOUSE_PATH', DEFAULT_EMBEDDED_PATH)),
    database: env.string('CLICKHOUSE_DATABASE', 'default'),
    host: env.string('CLICKHOUSE_HTTP_HOST', '127.0.0.1'),
    port: env.port('CLICKHOUSE_HTTP_PORT', 8123),
    users: users(env),
    allowedOrigins: origins(env),
    limits,
  }
}
