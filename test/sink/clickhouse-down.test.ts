import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_HTTP_LIMITS, ensurePassword, openSandbox } from '@trends/clickhouse'
import { metricValue, type Registry } from '@trends/metrics'
import { EMBEDDED_TEST_PATH, freePort, useAdmin } from '@trends/testing'
import {
  cleanedRecord,
  committedTotal,
  expectObservations,
  publishedForSink,
  freshSinkDatabase,
  freshSinkTopics,
  publish,
  queryNumber,
  serveStoreOn,
  sinkEnv,
  startSink,
  waitForNumber,
} from '../support/sink.ts'

// This process serves the store, as `trends run` does: the engine's access control must be its first
// chDB session (the server's later ones find it in place), before the tests' own clients open it.
openSandbox(EMBEDDED_TEST_PATH, DEFAULT_HTTP_LIMITS)

const DOWN_RECORDS = 20_000
const BATCH_ROWS = 500
const PARTITIONS = 6

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const gauge = (metrics: Registry, name: string) => metricValue(metrics, name)

test(
  'ClickHouse down under load: partitions pause, memory stays bounded, retries; back up: every row once',
  { timeout: 240_000 },
  async (t) => {
    const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
    const { client, database } = await freshSinkDatabase(t)
    const port = await freePort()
    let server = await serveStoreOn(t, port)
    const env = sinkEnv(prefix, database, {
      CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
      // The password the server generates in the store's folder (and keeps across its restart).
      CLICKHOUSE_PASSWORD: ensurePassword(EMBEDDED_TEST_PATH),
      SINK_BATCH_ROWS: String(BATCH_ROWS),
      SINK_RETRY_BASE: '100ms',
      SINK_RETRY_MAX: '1s',
    })
    const { metrics } = await startSink(t, env)
    const before = Array.from({ length: 1000 }, (_, i) => cleanedRecord(i, 1))
    await publish(t, topics.cleaned, cleanedSchemaId, before)
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= before.length)

    await server.close()
    const during = Array.from({ length: DOWN_RECORDS }, (_, i) => cleanedRecord(i, 0))
    await publish(t, topics.cleaned, cleanedSchemaId, during)
    await until('the sink sees ClickHouse down and holds partitions', async () => {
      return (await gauge(metrics, 'trends_sink_clickhouse_up')) === 0 && (await gauge(metrics, 'trends_sink_paused_partitions')) > 0
    })
    // Watch memory while ClickHouse stays down: at most one open and one in-flight batch per partition.
    let mostBuffered = 0
    for (let i = 0; i < 30; i++) {
      mostBuffered = Math.max(mostBuffered, await gauge(metrics, 'trends_sink_buffered_rows'))
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const bound = PARTITIONS * 2 * BATCH_ROWS
    assert.ok(
      mostBuffered > 0 && mostBuffered <= bound,
      `buffered ${mostBuffered} rows while down (bound ${bound}, ${DOWN_RECORDS} waiting)`,
    )
    assert.ok((await metricValue(metrics, 'trends_sink_inserts_total', { outcome: 'failed' })) >= 2, 'inserts retried')
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), before.length, 'nothing more stored while down')

    server = await serveStoreOn(t, port)
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= before.length + DOWN_RECORDS, 120_000)
    await until('ClickHouse reported up again', async () => (await gauge(metrics, 'trends_sink_clickhouse_up')) === 1)
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), before.length + DOWN_RECORDS, 'every row once')
    assert.equal(
      await queryNumber(client, 'SELECT uniqExact(natural_key, data_date) AS n FROM trend_observations'),
      before.length + DOWN_RECORDS,
    )
  },
)

test(
  'a ClickHouse that refuses the connection at start-up: the sink waits, then loads everything once',
  { timeout: 120_000 },
  async (t) => {
    const { prefix, topics, client, database, records } = await publishedForSink(t, 2000)
    const port = await freePort()
    const env = sinkEnv(prefix, database, {
      CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
      CLICKHOUSE_PASSWORD: ensurePassword(EMBEDDED_TEST_PATH),
      SINK_RETRY_BASE: '100ms',
      SINK_RETRY_MAX: '500ms',
    })
    const { metrics, started } = await startSink(t, env, undefined, { awaitStart: false })
    await until('the sink reports ClickHouse down', async () => (await gauge(metrics, 'trends_sink_clickhouse_up')) === 0)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const admin = await useAdmin(t)
    assert.equal(await committedTotal(admin, env['SINK_GROUP_ID']!, topics.cleaned), 0, 'nothing committed while ClickHouse refuses')

    await serveStoreOn(t, port)
    await started
    await expectObservations(client, records.length)
  },
)

test(
  'wrong ClickHouse credentials: nothing committed, a clear error code in the metrics; right ones: every row once',
  { timeout: 120_000 },
  async (t) => {
    const { prefix, topics, client, database, records } = await publishedForSink(t, 2000)
    const port = await freePort()
    await serveStoreOn(t, port, { sink: 'right-password' })
    const base = { CLICKHOUSE_URL: `http://127.0.0.1:${port}`, CLICKHOUSE_USER: 'sink', SINK_RETRY_BASE: '100ms', SINK_RETRY_MAX: '500ms' }

    const wrong = await startSink(
      t,
      sinkEnv(prefix, database, { ...base, CLICKHOUSE_PASSWORD: 'wrong', SINK_DRAIN_TIMEOUT: '1s' }),
      undefined,
      {
        awaitStart: false,
      },
    )
    await until('the sink reports ClickHouse refusing', async () => (await gauge(wrong.metrics, 'trends_sink_clickhouse_up')) === 0)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await wrong.sink.stop()
    await wrong.started.catch(() => undefined)
    const admin = await useAdmin(t)
    assert.equal(await committedTotal(admin, `${prefix}.sink`, topics.cleaned), 0)
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), 0)

    await startSink(t, sinkEnv(prefix, database, { ...base, CLICKHOUSE_PASSWORD: 'right-password' }))
    await expectObservations(client, records.length)
  },
)
