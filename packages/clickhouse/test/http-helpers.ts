import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { request, type IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import { ensurePassword, startClickHouseHttpServer, type ClickHouseHttpOptions, type ClickHouseHttpServer } from '@trends/clickhouse'
import { defer, EMBEDDED_TEST_PATH, freePort, type Cleanup } from '@trends/testing'

let removeOnExit = false

/**
 * The embedded store of this test file's process, served over HTTP on a port of its own (closed
 * after the test), with the password it generated in the folder.
 */
export async function serve(
  t: Cleanup,
  options: Omit<ClickHouseHttpOptions, 'path' | 'port'> = {},
): Promise<ClickHouseHttpServer & { password: string }> {
  // This process's folder, removed when the process exits. No client of this process opens the
  // engine before the server does: the engine takes its configuration from the first session.
  if (!removeOnExit) {
    removeOnExit = true
    process.once('exit', () => rmSync(EMBEDDED_TEST_PATH, { recursive: true, force: true }))
  }
  const server = await startClickHouseHttpServer({ path: EMBEDDED_TEST_PATH, port: await freePort(), ...options })
  defer(t, () => server.close())
  return Object.assign(server, { password: ensurePassword(EMBEDDED_TEST_PATH) })
}

export const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
})

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/** One request with exactly these headers (fetch would not let a test set Host, Origin or Sec-Fetch-*). */
export function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const made = request(
      `${url}${options.path ?? '/'}`,
      { method: options.method ?? 'POST', headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.once('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString() }),
        )
        response.once('error', reject)
      },
    )
    made.once('error', reject)
    made.end(options.body)
  })
}

/** A statement as curl sends it (`--data-binary`), with the generated password. */
export const query = (server: { url: string; password: string }, sql: string | Buffer, path = '/', headers: Record<string, string> = {}) =>
  send(server.url, { path, headers: { ...basic('default', server.password), ...headers }, body: sql })

/** A refusal in ClickHouse's form: the status, X-ClickHouse-Exception-Code and the error's name. */
export function assertRefused(answer: Answer, status: number, code: number, name: string): void {
  assert.equal(answer.status, status, answer.text)
  assert.equal(answer.headers['x-clickhouse-exception-code'], String(code), answer.text)
  assert.match(answer.text, new RegExp(`^Code: ${code}\\. DB::Exception: .*\\(${name}\\)\\n$`))
}

/** After a refusal, the server still answers a normal authenticated SELECT 1. */
export async function assertServes(server: { url: string; password: string }): Promise<void> {
  const answer = await query(server, 'SELECT 1')
  assert.equal(answer.status, 200, answer.text)
  assert.equal(answer.text, '1\n')
}

/** A raw connection: what is written goes out byte for byte; `received` is all the server sent until it closed. */
export function rawConnection(port: number): { socket: net.Socket; received: Promise<string>; closedAt: Promise<number> } {
  const socket = net.connect(port, '127.0.0.1')
  let text = ''
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
  socket.on('error', () => undefined)
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())))
  return { socket, received: closed.then(() => text), closedAt: closed }
}

/** The resident memory of this process, sampled every 5 ms while `work` runs: its peak above the start. */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const start = process.memoryUsage.rss()
  let peak = start
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5)
  try {
    const result = await work()
    peak = Math.max(peak, process.memoryUsage.rss())
    return { result, growth: peak - start }
  } finally {
    clearInterval(timer)
  }
}
