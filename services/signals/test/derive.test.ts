import { test } from 'node:test'
import assert from 'node:assert/strict'
import { migrate } from '@trends/clickhouse'
import { attempt, observation, useFreshDatabase, type Cleanup } from '@trends/testing'
import { DEFAULT_THRESHOLDS, eventId, pairEventsQuery, readyPairsQuery, type Pair, type ReadyPair } from '../src/derive.ts'

const CHART = 'hashtags-legacy/US/7/all/sort_by=popular'
const key = (name: string) => `hashtag:US:7:all:all:${name}`

/** One snapshot of CHART: `order` from rank 1 down, fetched by chart fetch `task` that ended `ending`. */
function snapshot(date: string, order: string[], task: string, ending: string, curves: Record<string, Array<[string, number]>> = {}) {
  const at = `${date} 06:00:00.000`
  return {
    observations: order.map((name, i) => observation(key(name), name, date, i + 1, null, at, curves[name] ?? [], CHART, task)),
    attempts: [attempt(task, CHART, 1, ending === 'page_failed' ? 'CC_SERVER_ERROR' : 'ok', at, ending, order.length)],
  }
}

const base = Array.from({ length: 15 }, (_, i) => `k${String(i + 1).padStart(2, '0')}`)
// D1 → D2: k02 takes number 1, k14 jumps 11 places, n01 enters at 5 with a steep curve, k15 drops off.
const d2 = ['k02', 'k01', 'k14', 'k03', 'n01', 'k04', 'k05', 'k06', 'k07', 'k08', 'k09', 'k10', 'k11', 'k12', 'k13']
// D2 → D3: k14 takes number 1 (14 → 3 → 1 over three snapshots: 6.5 places a day, a rank breakout).
const d3 = ['k14', 'k02', 'k01', 'k03', 'n01', 'k04', 'k05', 'k06', 'k07', 'k08', 'k09', 'k10', 'k11', 'k12', 'k13']

async function chartDatabase(t: Cleanup) {
  const { client } = await useFreshDatabase(t, 'signals')
  await migrate(client)
  const snapshots = [
    snapshot('2026-11-20', base, 't1', 'complete'),
    snapshot('2026-11-21', d2, 't2', 'complete', {
      n01: [
        ['2026-11-20 00:00:00.000', 10],
        ['2026-11-21 00:00:00.000', 40],
      ],
    }),
    snapshot('2026-11-22', d3, 't3', 'complete', {
      n01: [
        ['2026-11-20 00:00:00.000', 10],
        ['2026-11-21 00:00:00.000', 40],
        ['2026-11-22 00:00:00.000', 45],
      ],
    }),
    // Partial: never compared.
    snapshot('2026-11-23', ['x1', 'x2'], 't4', 'page_failed'),
  ]
  // Complete, but only 15 of the 20 items its fetch brought are stored yet.
  const late = snapshot('2026-11-24', d3, 't5', 'complete')
  late.attempts = [attempt('t5', CHART, 1, 'ok', '2026-11-24 06:00:00.000', 'complete', 20)]
  snapshots.push(late)
  await client.insert({ table: 'trend_observations', format: 'JSONEachRow', values: snapshots.flatMap((s) => s.observations) })
  await client.insert({ table: 'fetch_log', format: 'JSONEachRow', values: snapshots.flatMap((s) => s.attempts) })
  return client
}

test('ready pairs: consecutive complete snapshots, both filled; a snapshot not yet filled waits until its fetch is older than the settle time', async (t) => {
  const client = await chartDatabase(t)
  const ready = async (settled: string) =>
    (await (await client.query({ ...readyPairsQuery('2026-11-01', settled), format: 'JSONEachRow' })).json<ReadyPair>()).map(
      (row) =>
        `${row.previous_date}→${row.data_date} ${row.kind} ${row.country} ${row.period} ${JSON.stringify(row.industry)} ${row.endpoint}`,
    )
  assert.deepEqual(await ready('2026-11-24 00:00:00.000'), [
    '2026-11-20→2026-11-21 hashtag US 7 "" hashtags-legacy',
    '2026-11-21→2026-11-22 hashtag US 7 "" hashtags-legacy',
  ])
  assert.deepEqual((await ready('2026-11-24 07:00:00.000')).at(-1), '2026-11-22→2026-11-24 hashtag US 7 "" hashtags-legacy')
  const since = await (await client.query({ ...readyPairsQuery('2026-11-22', '2026-11-24 07:00:00.000'), format: 'JSONEachRow' })).json()
  assert.equal(since.length, 2, 'only pairs whose later snapshot is on or after since')
})

async function events(client: Awaited<ReturnType<typeof chartDatabase>>, pair: Pair, rankJump = DEFAULT_THRESHOLDS.rankJump) {
  const rows = await (
    await client.query({ ...pairEventsQuery(pair, { ...DEFAULT_THRESHOLDS, rankJump }), format: 'JSONEachRow' })
  ).json<Record<string, unknown>>()
  return rows.map((row) => [row['type'], row['item_id'], row['previous_rank'], row['rank'], row['measure'], row['value'], row['threshold']])
}

test('the events of a pair: a new number 1, an entry, a jump, a curve breakout, an exit — exactly these', async (t) => {
  const client = await chartDatabase(t)
  const pair = { chart_id: CHART, previous_date: '2026-11-20', data_date: '2026-11-21' }
  assert.deepEqual(await events(client, pair), [
    ['new_top', 'k02', 2, 1, 'rank', 1, null],
    ['entered', 'n01', null, 5, 'rank', 5, null],
    ['rank_jump', 'k14', 14, 3, 'places', 11, 10],
    ['breakout', 'n01', null, 5, 'curve_velocity', 30, 10],
    ['exited', 'k15', 15, null, 'previous_rank', 15, null],
  ])
  // A lower threshold makes the two-place moves jumps too (k04 … k13 fell 2 places).
  const lower = await events(client, pair, 2)
  assert.equal(lower.filter((event) => event[0] === 'rank_jump').length, 11)
  assert.ok(lower.some((event) => event[0] === 'rank_jump' && event[1] === 'k13' && event[5] === -2))
})

test('the next pair: a new number 1 and a rank breakout; a curve still rising is no new breakout', async (t) => {
  const client = await chartDatabase(t)
  const rows = await events(client, { chart_id: CHART, previous_date: '2026-11-21', data_date: '2026-11-22' })
  assert.deepEqual(rows, [
    ['new_top', 'k14', 3, 1, 'rank', 1, null],
    ['breakout', 'k14', 3, 1, 'rank_velocity', 6.5, 5],
  ])
})

test('event ids: the same change has the same id; any part that differs gives another', () => {
  const pair = { chart_id: CHART, previous_date: '2026-11-20', data_date: '2026-11-21' }
  const id = eventId(pair, 'entered', key('n01'))
  assert.match(id, /^[0-9a-f]{32}$/)
  assert.equal(eventId({ ...pair }, 'entered', key('n01')), id)
  const others = [
    eventId({ ...pair, chart_id: `${CHART}x` }, 'entered', key('n01')),
    eventId({ ...pair, previous_date: '2026-11-19' }, 'entered', key('n01')),
    eventId({ ...pair, data_date: '2026-11-22' }, 'entered', key('n01')),
    eventId(pair, 'breakout', key('n01')),
    eventId(pair, 'entered', key('n02')),
  ]
  assert.equal(new Set([id, ...others]).size, 6)
})
