import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { freePort } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { readyzUntil } from '../support/readiness.ts'
import {
  cleanedRecord,
  expectObservations,
  freshSinkDatabase,
  freshSinkTopics,
  publish,
  serveStoreOn,
  sinkEnv,
  waitForNumber,
} from '../support/sink.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const USERS = { sink: 'stall-test-password' }

test(
  'the sink with ClickHouse away: /readyz names the stalled consumer and its lag, and is 200 again once it caught up',
  { timeout: 180_000 },
  async (t) => {
    const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
    // The served store first: it must be the first chDB session of this process.
    const chPort = await freePort()
    let server = await serveStoreOn(t, chPort, USERS)
    const { client, database } = await freshSinkDatabase(t)
    const metricsPort = await freePort()
    const child = startServiceProcess(
      t,
      path.join(ROOT, 'services/sink/src/main.ts'),
      [],
      sinkEnv(prefix, database, {
        METRICS_PORT: String(metricsPort),
        CLICKHOUSE_URL: `http://127.0.0.1:${chPort}`,
        CLICKHOUSE_USER: 'sink',
        CLICKHOUSE_PASSWORD: USERS.sink,
        SINK_BATCH_ROWS: '500',
        SINK_RETRY_BASE: '100ms',
        SINK_RETRY_MAX: '500ms',
        CONSUMER_STALL_AFTER: '2s',
      }),
    )
    const first = await readyzUntil(metricsPort, 'the sink is ready', (r) => r.status === 200)
    assert.equal(first.checks['consumer:sink'], 'ok')

    const before = Array.from({ length: 1000 }, (_, i) => cleanedRecord(i, 1))
    await publish(t, topics.cleaned, cleanedSchemaId, before)
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= before.length)
    // Stored and committed, with nothing behind: ready however long it now goes without a batch.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    assert.equal((await readyzUntil(metricsPort, 'ready after the first records', (r) => r.status === 200)).checks['consumer:sink'], 'ok')

    await server.close()
    const during = Array.from({ length: 5000 }, (_, i) => cleanedRecord(i, 0))
    await publish(t, topics.cleaned, cleanedSchemaId, during)
    const stalled = await readyzUntil(
      metricsPort,
      'the sink is reported stalled',
      (r) => r.checks['consumer:sink']?.startsWith('stalled') === true,
    )
    assert.equal(stalled.status, 503)
    const match =
      /^stalled: lag (\d+) on [^;,]+ [\d,]+(?:; [^;,]+ [\d,]+)*(?: \(\+\d+ more\))?, no progress for (\d+)s; clickhouse unreachable: ECONNREFUSED 127\.0\.0\.1:\d+$/.exec(
        stalled.checks['consumer:sink'] ?? '',
      )
    assert.ok(match !== null, stalled.checks['consumer:sink'])
    const lag = Number(match[1])
    assert.ok(lag > 0 && lag <= during.length, `lag ${lag} of the ${during.length} records published while ClickHouse is away`)
    assert.ok(Number(match[2]) >= 2, 'no progress for at least CONSUMER_STALL_AFTER')
    assert.equal(stalled.checks['kafka'], 'ok', 'Kafka itself answers: only the consumer and ClickHouse are named')
    assert.doesNotMatch(stalled.text, new RegExp(USERS.sink))
    assert.equal(child.exitCode, null, 'a stall is not a reason to exit')

    server = await serveStoreOn(t, chPort, USERS)
    const caughtUp = await readyzUntil(metricsPort, 'ready again', (r) => r.status === 200, 120_000)
    assert.deepEqual(caughtUp.checks, { kafka: 'ok', registry: 'ok', clickhouse: 'ok', 'consumer:sink': 'ok' })
    await expectObservations(client, before.length + during.length)
  },
)
