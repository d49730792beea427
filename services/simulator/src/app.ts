/**
 * The simulator: one HTTP server standing in for https://ads.tiktok.com, serving both API generations
 * from deterministic generated data, plus the fault control API. No side effects until start().
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { ConfigError } from '@trends/core'
import { createLogger, type Logger } from '@trends/logger'
import type { ApiContext } from './api.ts'
import { createCatalog } from './catalog.ts'
import { createChartCache, type Moves } from './charts.ts'
import { CONTROL_PREFIX, handleControl } from './control.ts'
import { createFaultStore, faultRuleProblems, type FaultRuleInput } from './faults.ts'
import { NOT_FOUND_PAGE, sendHtml, sendJson, sendWithFault } from './respond.ts'
import { ROUTES } from './routes.ts'
import { createStats } from './stats.ts'

export interface SimulatorOptions {
  /** Interface to bind; 127.0.0.1 unless set. */
  host?: string
  /** Port to bind; 0 (the default) lets the OS pick one. */
  port?: number
  /** Seed of all generated data and of rate-based faults (default 1). */
  seed?: number
  /** The simulator clock in epoch milliseconds (default Date.now); its UTC day is the data date. */
  now?: () => number
  /**
   * How long one upstream day lasts on the simulator's clock (default a real day). Shorter, the data
   * date moves on while a demo or a test runs: from the day the simulator started, one day per
   * `dayLengthMs`. Signatures and timestamps still follow the real clock.
   */
  dayLengthMs?: number
  /** How charts move from day to day (default natural). */
  moves?: Moves
  /** Paths that always answer the legacy `deprecated` envelope. */
  deprecatedPaths?: readonly string[]
  /** Fault rules installed at start (what SIM_FAULTS holds). */
  faults?: readonly FaultRuleInput[]
  logger?: Logger
}

export interface Simulator {
  /** Listens; resolves with the base URL, e.g. `http://127.0.0.1:54321`. */
  start(): Promise<{ url: string }>
  /** Stops promptly: closes the server, destroys open sockets, cancels pending slow-headers waits. */
  stop(): Promise<void>
}

const MAX_BODY_BYTES = 1024 * 1024

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'))
      else chunks.push(chunk)
    })
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const host = options.host ?? '127.0.0.1'
  const seed = options.seed ?? 1
  const now = options.now ?? Date.now
  const logger = options.logger ?? createLogger({ service: 'simulator', level: 'silent' })
  const problems = (options.faults ?? []).flatMap((rule, i) => faultRuleProblems(rule).map((text) => `faults[${i}]: ${text}`))
  if (problems.length > 0) throw new ConfigError(problems)

  const routes = new Map(Object.entries(ROUTES))
  const faults = createFaultStore(seed)
  for (const rule of options.faults ?? []) faults.add(rule)
  const stats = createStats()
  const context: ApiContext = {
    seed,
    catalog: createCatalog(seed),
    cached: createChartCache(),
    deprecated: new Set(options.deprecatedPaths ?? []),
    moves: options.moves ?? 'natural',
  }
  const DAY_MS = 86_400_000
  const speed = DAY_MS / (options.dayLengthMs ?? DAY_MS)
  const startedAt = now()
  /** The upstream's calendar at a reading of the clock. */
  const calendar = (nowMs: number) => (speed === 1 ? nowMs : Math.round(startedAt + (nowMs - startedAt) * speed))
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let aborter = new AbortController()

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = aborter.signal
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://simulator.invalid')
    const path = url.pathname
    try {
      const body = await readBody(req)
      if (path.startsWith(CONTROL_PREFIX)) return handleControl(res, method, path, body, faults, stats)
      stats.request(path)
      const route = routes.get(path)
      if (route === undefined || route.method !== method) {
        logger.debug({ method, path }, 'unknown path')
        return sendHtml(res, 404, NOT_FOUND_PAGE)
      }
      const nowMs = now()
      const result = route.handler(
        { method, path, query: url.searchParams, headers: req.headers, body, nowMs, dataMs: calendar(nowMs) },
        context,
      )
      const fault = faults.pick(path, result.list !== undefined)
      if (fault === undefined) {
        logger.debug({ method, path, status: result.status }, 'request')
        return sendJson(res, result.status, result.body)
      }
      stats.fault(fault.rule.fault)
      logger.info({ method, path, fault: fault.rule.fault, rule: fault.rule.id }, 'fault injected')
      await sendWithFault(req, res, result, fault, nowMs, signal)
    } catch (error) {
      if (signal.aborted) return
      logger.error({ err: error, method, path }, 'request failed')
      if (!res.headersSent) sendHtml(res, 500, '<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>\n')
      else res.destroy()
    }
  }

  return {
    start: () =>
      new Promise((resolve, reject) => {
        if (server !== undefined) {
          reject(new Error('the simulator is already started'))
          return
        }
        aborter = new AbortController()
        const created = createServer((req, res) => void handle(req, res))
        created.on('connection', (socket: Socket) => {
          sockets.add(socket)
          socket.once('close', () => sockets.delete(socket))
        })
        created.once('error', (error) => {
          server = undefined
          reject(error)
        })
        created.listen(options.port ?? 0, host, () => {
          const address = created.address()
          const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0)
          const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
          logger.info({ url, seed }, 'simulator listening')
          resolve({ url })
        })
        server = created
      }),
    stop: () =>
      new Promise((resolve) => {
        const current = server
        server = undefined
        aborter.abort()
        if (current === undefined) {
          resolve()
          return
        }
        current.close(() => {
          logger.info('simulator stopped')
          resolve()
        })
        current.closeAllConnections()
        for (const socket of sockets) socket.destroy()
        sockets.clear()
      }),
  }
}
