import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defer, freePort } from '@trends/testing'
import { startServiceProcess } from './support/processes.ts'
import { producerEnv } from './support/raw-topics.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const SERVICES = [
  {
    name: 'producer',
    main: 'services/producer/src/main.ts',
    args: ['worker'],
    metric: 'trends_cc_requests_total',
    consumer: 'producer-worker',
  },
  {
    name: 'normalizer',
    main: 'services/normalizer/src/main.ts',
    args: [],
    metric: 'trends_normalizer_records_in_total',
    consumer: 'normalizer',
  },
  { name: 'sink', main: 'services/sink/src/main.ts', args: [], metric: 'trends_sink_clickhouse_up', consumer: 'sink' },
]

async function answer(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await fetch(url).catch(() => undefined)
    if (response !== undefined) return response
    if (child.exitCode !== null) throw new Error(`the service exited ${child.exitCode}`)
    if (Date.now() > deadline) throw new Error(`${url} did not answer`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function readyWithin(
  url: string,
  child: ChildProcess,
  timeoutMs = 60_000,
): Promise<{ status: number; body: { checks: Record<string, string> } }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await answer(url, child, timeoutMs)
    const body = (await response.json()) as { checks: Record<string, string> }
    if (response.status === 200 || Date.now() > deadline) return { status: response.status, body }
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}

for (const service of SERVICES) {
  test(`${service.name}: /healthz, /readyz with its checks, and /metrics answer`, { timeout: 120_000 }, async (t) => {
    const env = producerEnv('http://127.0.0.1:9', { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'] }] })
    const port = await freePort()
    const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-ops-'))
    defer(t, () => rmSync(folder, { recursive: true, force: true }))
    const child = startServiceProcess(t, path.join(ROOT, service.main), service.args, {
      ...env,
      METRICS_PORT: String(port),
      NORMALIZER_GROUP_ID: `${env['TOPIC_PREFIX']}.normalizer`,
      SINK_GROUP_ID: `${env['TOPIC_PREFIX']}.sink`,
      CLICKHOUSE_PATH: folder,
    })
    const base = `http://127.0.0.1:${port}`
    assert.equal((await answer(`${base}/healthz`, child)).status, 200)
    const ready = await readyWithin(`${base}/readyz`, child)
    assert.equal(ready.status, 200, JSON.stringify(ready.body))
    const expected = [...(service.name === 'sink' ? ['clickhouse'] : []), `consumer:${service.consumer}`, 'kafka', 'registry']
    assert.deepEqual(Object.keys(ready.body.checks).sort(), expected)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    assert.match(metrics, new RegExp(`^# TYPE ${service.metric} `, 'm'))
    assert.match(metrics, /^trends_process_cpu_seconds_total/m, 'process metrics too')
  })
}

test('the sink is alive but not ready while its ClickHouse refuses connections', { timeout: 120_000 }, async (t) => {
  const env = producerEnv('http://127.0.0.1:9', { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'] }] })
  const port = await freePort()
  const child = startServiceProcess(t, path.join(ROOT, 'services/sink/src/main.ts'), [], {
    ...env,
    METRICS_PORT: String(port),
    SINK_GROUP_ID: `${env['TOPIC_PREFIX']}.sink`,
    CLICKHOUSE_URL: `http://127.0.0.1:${await freePort()}`,
  })
  const base = `http://127.0.0.1:${port}`
  assert.equal((await answer(`${base}/healthz`, child)).status, 200)
  const response = await answer(`${base}/readyz`, child)
  assert.equal(response.status, 503)
  const body = (await response.json()) as { checks: Record<string, string> }
  assert.match(body.checks['clickhouse'] ?? '', /^clickhouse unreachable: ECONNREFUSED 127\.0\.0\.1:\d+$/)
})
