/** Charts of three complete snapshots each, in ClickHouse, and the events the signals stage must derive from them. */
import path from 'node:path'
import { ensurePassword, type ClickHouseClient } from '@trends/clickhouse'
import { randomSuffix } from '@trends/core'
import { topicsFor } from '@trends/kafka'
import { eventId, type Pair } from '@trends/signals'
import { attempt, EMBEDDED_TEST_PATH, freePort, observation, type Cleanup } from '@trends/testing'
import { freshSinkDatabase, serveStoreOn } from './sink.ts'

export const SIGNALS_MAIN = path.resolve(import.meta.dirname, '../../services/signals/src/main.ts')

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

/** Three complete snapshots of each of `charts` charts; returns the ids of every event they must give. */
export async function seedCharts(client: ClickHouseClient, charts: number): Promise<Set<string>> {
  const observations: unknown[] = []
  const attempts: unknown[] = []
  const expected = new Set<string>()
  for (let i = 0; i < charts; i++) {
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

/**
 * This process's store served over HTTP with a fresh database of `charts` seeded charts, fresh topics,
 * and the environment a signals stage process needs to work on them (one pair per transaction, a
 * round a second, its metrics on a port of its own).
 */
export async function signalsSetup(t: Cleanup, charts: number) {
  // Served before any other use of the store in this process (the engine takes its access rules then).
  const port = await freePort()
  await serveStoreOn(t, port)
  const { client, database } = await freshSinkDatabase(t)
  const expected = await seedCharts(client, charts)
  const prefix = `test-signals-${randomSuffix()}`
  const metricsPort = String(await freePort())
  const env: Record<string, string> = {
    TOPIC_PREFIX: prefix,
    SIGNALS_TRANSACTIONAL_ID: `${prefix}.signals`,
    CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
    CLICKHOUSE_PASSWORD: ensurePassword(EMBEDDED_TEST_PATH),
    CLICKHOUSE_DATABASE: database,
    SIGNALS_POLL: '1s',
    SIGNALS_PAIRS_PER_TRANSACTION: '1',
    METRICS_PORT: metricsPort,
  }
  return { client, database, expected, prefix, topics: topicsFor(prefix), metricsPort, env }
}

export { metricTotal } from './readiness.ts'
