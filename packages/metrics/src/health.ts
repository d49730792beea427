import type { EnvReader } from '@trends/core'
import { createServer } from 'node:http'
import type { Registry } from 'prom-client'
import { describeFailure } from './reason.ts'

/** A dependency the service needs: resolves when it is reachable, rejects (or times out) when not. */
export type Check = () => Promise<unknown>

/**
 * Readiness the service knows about itself, without I/O (e.g. a consumer that crashed or stalled):
 * undefined when ready, else why not. The text is shown as it is, so it holds names, codes and
 * numbers only, never an error's message.
 */
export type Condition = () => string | undefined

export interface HealthServerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  registry: Registry
  /** Named readiness checks (e.g. kafka, registry, clickhouse); /readyz is 200 only when all pass. */
  checks?: Readonly<Record<string, Check>>
  /** Named conditions (e.g. `consumer:sink`), shown beside the checks; any that is not met makes /readyz 503. */
  conditions?: Readonly<Record<string, Condition>>
  checkTimeoutMs?: number
}

export interface HealthServer {
  url: string
  port: number
  close(): Promise<void>
}

/**
 * Each service's operations endpoint: `/metrics` (Prometheus text format), `/healthz` (the process
 * is alive: always 200 while it serves) and `/readyz` (200 when every dependency answers, else 503;
 * the body names each check and, for a failing one, why: `kafka unreachable: ECONNREFUSED
 * 127.0.0.1:9092`, `registry failing: HTTP 503` (describeFailure: codes, addresses and statuses,
 * never an error's text, which can carry a URL with credentials) — and each condition with why it
 * is not met).
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const checks = options.checks ?? {}
  const timeoutMs = options.checkTimeoutMs ?? 2000
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': options.registry.contentType })
          response.end(text)
        },
        () => {
          response.writeHead(500)
          response.end()
        },
      )
      return
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"status":"ok"}\n')
      return
    }
    if (path === '/readyz') {
      const names = Object.keys(checks)
      void Promise.all(
        names.map((name) =>
          answerWithin(checks[name]!(), timeoutMs).then(
            () => [name, 'ok'] as const,
            (error: unknown) => [name, checkFailure(name, error, timeoutMs)] as const,
          ),
        ),
      ).then((checked) => {
        const results = [
          ...checked,
          ...Object.entries(options.conditions ?? {}).map(([name, condition]) => [name, conditionState(condition)] as const),
        ]
        const ready = results.every(([, state]) => state === 'ok')
        response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        response.end(`${JSON.stringify({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) })}\n`)
      })
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('not found: /metrics, /healthz, /readyz\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function conditionState(condition: Condition): string {
  try {
    return condition() ?? 'ok'
  } catch (error) {
    return `failing: ${describeFailure(error).reason}`
  }
}

/** The check's own deadline passed (told apart from an error the check threw). */
class NoAnswer extends Error {}

function answerWithin(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    work,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new NoAnswer()), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

function checkFailure(name: string, error: unknown, timeoutMs: number): string {
  if (error instanceof NoAnswer) return `${name} not answering within ${timeoutMs}ms`
  const failure = describeFailure(error)
  return `${name} ${failure.unreachable ? 'unreachable' : 'failing'}: ${failure.reason}`
}

/** METRICS_HOST (127.0.0.1) and METRICS_PORT (the service's default; 0 picks a free port). */
export function readHealthSettings(env: EnvReader, defaultPort: number): { host: string; port: number } {
  return { host: env.string('METRICS_HOST', '127.0.0.1'), port: env.int('METRICS_PORT', defaultPort, { min: 0, max: 65_535 }) }
}

interface Startable {
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * A service with its operations endpoint: the endpoint starts first (so /healthz answers and
 * /readyz says what is missing while the service connects) and stops last.
 */
export function withHealth(service: Startable, options: HealthServerOptions): Startable & { health: () => HealthServer | undefined } {
  let server: HealthServer | undefined
  return {
    health: () => server,
    async start() {
      server = await startHealthServer(options)
      await service.start()
    },
    async stop() {
      try {
        await service.stop()
      } finally {
        await server?.close()
      }
    },
  }
}
