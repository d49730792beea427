import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { ensurePassword, type ClickHouseClient } from '@trends/clickhouse'
import { randomSuffix } from '@trends/core'
import { registerTopicSchema, topicsFor } from '@trends/kafka'
import { attempt, EMBEDDED_TEST_PATH, freePort, observation } from '@trends/testing'
import { eventId, type Pair } from '@trends/signals'
import { startServiceProcess } from '../support/processes.ts'
import { readCommitted } from '../support/pipeline.ts'
import { stackClients } from '../support/raw-topics.ts'
import { freshSinkDatabase, queryNumber, serveStoreOn, sinkEnv, startSink, waitForNumber } from '../support/sink.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/signals/src/main.ts')
const CHARTS = 40

const base = Array.from({ length: 15 }, (_, i) => `k${String(i + 1).padStart(2, '0')}`)
// Day 1 → 2: k02 new number 1, n01 enters at 5, k14 jumps 11 places, k15 exits (no breakout: no curves).
const second = ['k02', 'k01', 'k14', 'k03', 'n01', 'k04', 'k05', 'k06', 'k07', 'k08', 'k09', 'k10', 'k11', 'k12', 'k13']
// Day 2 → 3: k14 new number 1, and a rank breakout (14 → 3 → 1).
const third = ['k14', 'k02', 'k01', 'k03', 'n01', 'k04', 'k05', 'k06', 'k07', 'k08', 'k09', 'k10', 'k11', 'k12', 'k13']
// The three days before today: inside the stage's look-back, whatever day the test runs.
const dayBefore = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)
const DATES = [dayBefore(3), dayBefore(2), dayBefore(1)] as const

const chartOf = (i: number) => `hashtags-legacy/C${String(i).padStart(2, '0')}/7/all/sort_by=popular`
const keyOf = (chart: string, name: string) => `hashtag:${chart.split('/')[1]}:7:all:all:${name}`

/** Three complete snapshots of each of CHARTS charts; returns the ids of every event they must give. */
async function seed(client: ClickHouseClient): Promise<Set<string>> {
  const observations: unknown[] = []
  const attempts: unknown[] = []
  const expected = new Set<string>()
  for (let i = 0; i < CHARTS; i++) {
    const chart = chartOf(i)
    ;[base, second, third].forEach((order, day) => {
      const date = DATES[day] ?? ''
      const task = `${chart}|${date}`
      const at = `${date} 06:00:00.000`
      order.forEach((name, rank) => observations.push(observation(keyOf(chart, name), name, date, rank + 1, null, at, [], chart, task)))
      attempts.push(attempt(task, chart, 1, 'ok', at, 'complete', order.length))
    })
    const first: Pair = { chart_id: chart, previous_date: DATES[0], data_date: DATES[1] }
    const next: Pair = { chart_id: chart, previous_date: DATES[1], data_date: DATES[2] }
    expected.add(eventId(first, 'new_top', keyOf(chart, 'k02')))
    expected.add(eventId(first, 'entered', keyOf(chart, 'n01')))
    expected.add(eventId(first, 'rank_jump', keyOf(chart, 'k14')))
    expected.add(eventId(first, 'exited', keyOf(chart, 'k15')))
    expected.add(eventId(next, 'new_top', keyOf(chart, 'k14')))
    expected.add(eventId(next, 'breakout', keyOf(chart, 'k14')))
  }
  await client.insert({ table: 'trend_observations', format: 'JSONEachRow', values: observations })
  await client.insert({ table: 'fetch_log', format: 'JSONEachRow', values: attempts })
  return expected
}

async function metric(port: string, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (response) => response.text(),
    () => '',
  )
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

test(
  'SIGKILL of the signals stage mid-stream, then a restart: every expected event once in the topic and once in ClickHouse (no FINAL)',
  { timeout: 300_000 },
  async (t) => {
    // Served before any other use of the store in this process (the engine takes its access rules then).
    const port = await freePort()
    await serveStoreOn(t, port)
    const { client, database } = await freshSinkDatabase(t)
    const expected = await seed(client)
    const prefix = `test-signals-${randomSuffix()}`
    const topics = topicsFor(prefix)
    const metricsPort = String(await freePort())
    const env = {
      TOPIC_PREFIX: prefix,
      SIGNALS_TRANSACTIONAL_ID: `${prefix}.signals`,
      CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
      CLICKHOUSE_PASSWORD: ensurePassword(EMBEDDED_TEST_PATH),
      CLICKHOUSE_DATABASE: database,
      // One pair per transaction, so the kill lands between commits or inside one.
      SIGNALS_POLL: '1s',
      SIGNALS_PAIRS_PER_TRANSACTION: '1',
      METRICS_PORT: metricsPort,
    }
    const first = startServiceProcess(t, MAIN, [], env)
    const deadline = Date.now() + 120_000
    let published = 0
    while (published < 30) {
      if (Date.now() > deadline) throw new Error(`the signals stage published ${published} events in 120 s`)
      if (first.exitCode !== null) throw new Error(`the signals stage exited ${first.exitCode}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
      published = await metric(metricsPort, 'trends_signals_events_total')
    }
    first.kill('SIGKILL')
    await new Promise((resolve) => first.once('exit', resolve))
    const { kafka, registry } = stackClients()
    const before = await readCommitted(kafka, registry, topics.signals)
    assert.ok(before.length > 0 && before.length < expected.size, `killed mid-stream: ${before.length} of ${expected.size} events`)
    t.diagnostic(`killed after ${before.length} of ${expected.size} events were committed`)
    const restartedAt = Date.now()

    startServiceProcess(t, MAIN, [], env)
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
