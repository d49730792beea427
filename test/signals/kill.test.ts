import { test } from 'node:test'
import assert from 'node:assert/strict'
import { registerTopicSchema } from '@trends/kafka'
import { startServiceProcess } from '../support/processes.ts'
import { readCommitted } from '../support/pipeline.ts'
import { stackClients } from '../support/raw-topics.ts'
import { queryNumber, sinkEnv, startSink, waitForNumber } from '../support/sink.ts'
import { metricTotal, SIGNALS_MAIN, signalsSetup } from '../support/signals.ts'

const CHARTS = 40

test(
  'SIGKILL of the signals stage mid-stream, then a restart: every expected event once in the topic and once in ClickHouse (no FINAL)',
  { timeout: 300_000 },
  async (t) => {
    const { client, database, expected, prefix, topics, metricsPort, env } = await signalsSetup(t, CHARTS)
    const first = startServiceProcess(t, SIGNALS_MAIN, [], env)
    const deadline = Date.now() + 120_000
    let published = 0
    while (published < 30) {
      if (Date.now() > deadline) throw new Error(`the signals stage published ${published} events in 120 s`)
      if (first.exitCode !== null) throw new Error(`the signals stage exited ${first.exitCode}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
      published = await metricTotal(metricsPort, 'trends_signals_events_total')
    }
    first.kill('SIGKILL')
    await new Promise((resolve) => first.once('exit', resolve))
    const { kafka, registry } = stackClients()
    const before = await readCommitted(kafka, registry, topics.signals)
    assert.ok(before.length > 0 && before.length < expected.size, `killed mid-stream: ${before.length} of ${expected.size} events`)
    t.diagnostic(`killed after ${before.length} of ${expected.size} events were committed`)
    const restartedAt = Date.now()

    startServiceProcess(t, SIGNALS_MAIN, [], env)
    const finalDeadline = Date.now() + 180_000
    let records = before
    while (records.length < expected.size && Date.now() < finalDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      records = await readCommitted(kafka, registry, topics.signals)
    }
    t.diagnostic(`the restarted stage published the rest in ${((Date.now() - restartedAt) / 1000).toFixed(1)} s`)
    // A repeat, if one were coming, has a round to show up.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    records = await readCommitted(kafka, registry, topics.signals)
    const ids = records.map((record) => String(record.value['event_id']))
    assert.deepEqual(new Set(ids), expected, 'every expected event, and no other')
    assert.equal(ids.length, expected.size, 'none twice in the topic')

    // The sink stores them: once each, counted without FINAL.
    await registerTopicSchema(registry, topics.signals, 'tiktok.trends.signals.avsc')
    await startSink(t, sinkEnv(prefix, database), client)
    await waitForNumber(client, 'SELECT count() AS n FROM trend_signals', (n) => n >= expected.size)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_signals'), expected.size)
    assert.equal(await queryNumber(client, 'SELECT uniqExact(event_id) AS n FROM trend_signals'), expected.size)
    const types = await (
      await client.query({ query: 'SELECT type, count() AS n FROM trend_signals GROUP BY type ORDER BY type', format: 'JSONEachRow' })
    ).json<{ type: string; n: string }>()
    assert.deepEqual(
      types.map((row) => `${row.type} ${row.n}`),
      [`breakout ${CHARTS}`, `entered ${CHARTS}`, `exited ${CHARTS}`, `new_top ${CHARTS * 2}`, `rank_jump ${CHARTS}`],
    )
  },
)
