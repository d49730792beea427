import { test } from 'node:test'
import assert from 'node:assert/strict'
import { migrate } from '@trends/clickhouse'
import { attempt, observation, useFreshDatabase, type Cleanup } from '@trends/testing'

const freshDatabase = async (t: Cleanup) => (await useFreshDatabase(t, 'charts')).client

test('the same item on two charts of one country and period: two rows after merges, and the rollups keep the charts apart', async (t) => {
  const client = await freshDatabase(t)
  await migrate(client)
  const legacy = 'hashtags-legacy/US/7/all/sort_by=popular'
  const creativeOne = 'hashtags-creative-one/US/7/all'
  const key = 'hashtag:US:7:all:all:1'
  const at = '2026-11-22 08:00:00.000'
  const curve: Array<[string, number]> = [['2026-11-22 00:00:00.000', 50]]
  await client.insert({
    table: 'trend_observations',
    format: 'JSONEachRow',
    values: [
      observation(key, 'SpringOutfits', '2026-11-22', 1, null, at, curve, legacy),
      observation(key, 'SpringOutfits', '2026-11-22', 7, null, at, curve, creativeOne),
      // The legacy chart polled again: a replacement within its chart only.
      observation(key, 'SpringOutfits', '2026-11-22', 1, null, '2026-11-22 09:00:00.000', curve, legacy),
    ],
  })
  await client.command({ query: 'OPTIMIZE TABLE trend_observations FINAL' })
  const rows = await (
    await client.query({
      query: 'SELECT chart_id, rank FROM trend_observations ORDER BY chart_id',
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(rows, [
    { chart_id: creativeOne, rank: 7 },
    { chart_id: legacy, rank: 1 },
  ])
  const latest = await (
    await client.query({
      query: 'SELECT chart_id, argMaxMerge(latest).2 AS rank FROM trend_latest GROUP BY chart_id ORDER BY chart_id',
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(latest, rows)
  const stats = await (
    await client.query({
      query: 'SELECT chart_id, minMerge(peak_rank) AS peak FROM trend_item_stats GROUP BY chart_id ORDER BY chart_id',
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(stats, [
    { chart_id: creativeOne, peak: 7 },
    { chart_id: legacy, peak: 1 },
  ])
  await client.command({ query: 'OPTIMIZE TABLE trend_curve_points FINAL' })
  const points = await (
    await client.query({ query: 'SELECT chart_id, value FROM trend_curve_points ORDER BY chart_id', format: 'JSONEachRow' })
  ).json()
  assert.deepEqual(points, [
    { chart_id: creativeOne, value: 50 },
    { chart_id: legacy, value: 50 },
  ])
})

test('chart snapshots: one row per chart and data date, complete when a fetch of it ended complete, else why not', async (t) => {
  const client = await freshDatabase(t)
  await migrate(client)
  const a = 'hashtags-legacy/US/7/all/sort_by=popular'
  const b = 'hashtags-legacy/GB/7/all/sort_by=popular'
  const c = 'hashtags-legacy/DE/7/all/sort_by=popular'
  const row = (key: string, chart: string, task: string, at: string) => ({
    ...observation(key, key, '2026-11-22', 1, null, at, [], chart),
    task_id: task,
  })
  await client.insert({
    table: 'trend_observations',
    format: 'JSONEachRow',
    values: [
      // Chart a: the first fetch failed on page 2; the next one (an hour later) brought the rest and ended complete.
      row('hashtag:US:7:all:all:1', a, 't1', '2026-11-22 08:00:00.000'),
      row('hashtag:US:7:all:all:2', a, 't2', '2026-11-22 09:00:00.000'),
      // Chart b: stopped at its page cap with more to come.
      row('hashtag:GB:7:all:all:1', b, 't3', '2026-11-22 08:00:00.000'),
      // Chart c: its fetch log is not in yet.
      row('hashtag:DE:7:all:all:1', c, 't4', '2026-11-22 08:00:00.000'),
    ],
  })
  await client.insert({
    table: 'fetch_log',
    format: 'JSONEachRow',
    values: [
      attempt('t1', a, 1, 'ok', '2026-11-22 08:00:00.000'),
      attempt('t1', a, 2, 'CC_SERVER_ERROR', '2026-11-22 08:00:01.000', 'page_failed'),
      attempt('t2', a, 1, 'ok', '2026-11-22 09:00:00.000'),
      attempt('t2', a, 2, 'ok', '2026-11-22 09:00:01.000', 'complete'),
      attempt('t3', b, 1, 'ok', '2026-11-22 08:00:00.000', 'max_pages'),
    ],
  })
  const snapshots = await (
    await client.query({
      query: `SELECT chart_id, data_date, items, complete, reason, pages, fetches, first_fetched_at, last_fetched_at
              FROM chart_snapshots ORDER BY chart_id`,
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(snapshots, [
    {
      chart_id: c,
      data_date: '2026-11-22',
      items: '1',
      complete: false,
      reason: 'unknown',
      pages: '0',
      fetches: '1',
      first_fetched_at: '2026-11-22 08:00:00.000',
      last_fetched_at: '2026-11-22 08:00:00.000',
    },
    {
      chart_id: b,
      data_date: '2026-11-22',
      items: '1',
      complete: false,
      reason: 'max_pages',
      pages: '1',
      fetches: '1',
      first_fetched_at: '2026-11-22 08:00:00.000',
      last_fetched_at: '2026-11-22 08:00:00.000',
    },
    {
      chart_id: a,
      data_date: '2026-11-22',
      items: '2',
      complete: true,
      reason: 'complete',
      pages: '2',
      fetches: '2',
      first_fetched_at: '2026-11-22 08:00:00.000',
      last_fetched_at: '2026-11-22 09:00:00.000',
    },
  ])
})

/**
 * One chart over four data dates: three complete snapshots (the third polled twice) and a fourth
 * that stopped at its page cap, plus another chart with one snapshot.
 */
async function fourSnapshots(client: Awaited<ReturnType<typeof freshDatabase>>) {
  const a = 'hashtags-legacy/US/7/all/sort_by=popular'
  const b = 'hashtags-legacy/GB/7/all/sort_by=popular'
  const key = (name: string) => `hashtag:US:7:all:all:${name}`
  const on = (date: string, task: string, ranks: Array<[string, number]>, chart = a, at = `${date} 08:00:00.000`) =>
    ranks.map(([name, rank]) => ({ ...observation(key(name), name, date, rank, null, at, [], chart), task_id: task }))
  await client.insert({
    table: 'trend_observations',
    format: 'JSONEachRow',
    values: [
      ...on('2026-11-20', 'd1', [
        ['Alpha', 1],
        ['Bravo', 2],
        ['Charlie', 3],
      ]),
      ...on('2026-11-21', 'd2', [
        ['Bravo', 1],
        ['Alpha', 2],
        ['Delta', 3],
      ]),
      ...on('2026-11-22', 'd3', [
        ['Bravo', 1],
        ['Alpha', 2],
        ['Delta', 3],
      ]),
      // The same data date fetched again an hour later (a normalizer with dedup off): one value each.
      ...on('2026-11-22', 'd3b', [['Bravo', 1]], a, '2026-11-22 09:00:00.000'),
      // Partial: stopped at its page cap; never "the chart now", never a source of exits.
      ...on('2026-11-23', 'd4', [['Bravo', 1]]),
      ...on('2026-11-22', 'g1', [['Echo', 1]], b),
    ],
  })
  await client.insert({
    table: 'fetch_log',
    format: 'JSONEachRow',
    values: [
      attempt('d1', a, 1, 'ok', '2026-11-20 08:00:00.000', 'complete'),
      attempt('d2', a, 1, 'ok', '2026-11-21 08:00:00.000', 'complete'),
      attempt('d3', a, 1, 'ok', '2026-11-22 08:00:00.000', 'complete'),
      attempt('d3b', a, 1, 'ok', '2026-11-22 09:00:00.000', 'complete'),
      attempt('d4', a, 1, 'ok', '2026-11-23 08:00:00.000', 'max_pages'),
      attempt('g1', b, 1, 'ok', '2026-11-22 08:00:00.000', 'complete'),
    ],
  })
  return { a, b, key }
}

test('a chart now is its latest complete snapshot, one row per item, exact without FINAL', async (t) => {
  const client = await freshDatabase(t)
  await migrate(client)
  const { a, b } = await fourSnapshots(client)
  const latest = await (
    await client.query({
      query: 'SELECT chart_id, data_date, display_name, rank FROM chart_latest ORDER BY chart_id, rank',
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(latest, [
    { chart_id: b, data_date: '2026-11-22', display_name: 'Echo', rank: 1 },
    { chart_id: a, data_date: '2026-11-22', display_name: 'Bravo', rank: 1 },
    { chart_id: a, data_date: '2026-11-22', display_name: 'Alpha', rank: 2 },
    { chart_id: a, data_date: '2026-11-22', display_name: 'Delta', rank: 3 },
  ])
  // Every snapshot's ranks, the partial one too, each saying whether it is complete.
  const ranks = await (
    await client.query({
      query: `SELECT data_date, display_name, rank, complete, reason FROM chart_ranks
              WHERE chart_id = {chart:String} AND data_date >= '2026-11-22' ORDER BY data_date, rank`,
      query_params: { chart: a },
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(ranks, [
    { data_date: '2026-11-22', display_name: 'Bravo', rank: 1, complete: true, reason: 'complete' },
    { data_date: '2026-11-22', display_name: 'Alpha', rank: 2, complete: true, reason: 'complete' },
    { data_date: '2026-11-22', display_name: 'Delta', rank: 3, complete: true, reason: 'complete' },
    { data_date: '2026-11-23', display_name: 'Bravo', rank: 1, complete: false, reason: 'max_pages' },
  ])
  // The same answer straight from the observations, for the dates the snapshots view calls complete.
  const direct = await (
    await client.query({
      query: `SELECT argMax(display_name, fetched_at) AS display_name, argMax(rank, fetched_at) AS rank
              FROM trend_observations WHERE chart_id = {chart:String} AND data_date = toDate('2026-11-22')
              GROUP BY natural_key ORDER BY rank`,
      query_params: { chart: a },
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(
    direct,
    latest
      .filter((row) => (row as { chart_id: string }).chart_id === a)
      .map((row) => {
        const { display_name, rank } = row as { display_name: string; rank: number }
        return { display_name, rank }
      }),
  )
})

test('entries, exits and movers between consecutive complete snapshots; a partial snapshot yields none', async (t) => {
  const client = await freshDatabase(t)
  await migrate(client)
  const { a, key } = await fourSnapshots(client)
  const changes = await (
    await client.query({
      query: `SELECT previous_date, data_date, display_name, previous_rank, rank, change, places
              FROM chart_changes WHERE chart_id = {chart:String} ORDER BY data_date, display_name`,
      query_params: { chart: a },
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(changes, [
    {
      previous_date: '2026-11-20',
      data_date: '2026-11-21',
      display_name: 'Alpha',
      previous_rank: 1,
      rank: 2,
      change: 'moved',
      places: '-1',
    },
    {
      previous_date: '2026-11-20',
      data_date: '2026-11-21',
      display_name: 'Bravo',
      previous_rank: 2,
      rank: 1,
      change: 'moved',
      places: '1',
    },
    {
      previous_date: '2026-11-20',
      data_date: '2026-11-21',
      display_name: 'Charlie',
      previous_rank: 3,
      rank: null,
      change: 'exited',
      places: null,
    },
    {
      previous_date: '2026-11-20',
      data_date: '2026-11-21',
      display_name: 'Delta',
      previous_rank: null,
      rank: 3,
      change: 'entered',
      places: null,
    },
    {
      previous_date: '2026-11-21',
      data_date: '2026-11-22',
      display_name: 'Alpha',
      previous_rank: 2,
      rank: 2,
      change: 'stayed',
      places: '0',
    },
    {
      previous_date: '2026-11-21',
      data_date: '2026-11-22',
      display_name: 'Bravo',
      previous_rank: 1,
      rank: 1,
      change: 'stayed',
      places: '0',
    },
    {
      previous_date: '2026-11-21',
      data_date: '2026-11-22',
      display_name: 'Delta',
      previous_rank: 3,
      rank: 3,
      change: 'stayed',
      places: '0',
    },
  ])
  // Entries and exits straight from the observations agree.
  const keysOn = async (date: string) =>
    new Set(
      (
        await (
          await client.query({
            query: `SELECT DISTINCT natural_key FROM trend_observations WHERE chart_id = {chart:String} AND data_date = {date:Date}`,
            query_params: { chart: a, date },
            format: 'JSONEachRow',
          })
        ).json<{ natural_key: string }>()
      ).map((row) => row.natural_key),
    )
  const before = await keysOn('2026-11-20')
  const after = await keysOn('2026-11-21')
  assert.deepEqual(
    [...after].filter((k) => !before.has(k)),
    [key('Delta')],
  )
  assert.deepEqual(
    [...before].filter((k) => !after.has(k)),
    [key('Charlie')],
  )
})

test('velocity and breakouts over the last complete snapshots: rank slope in places a day, curve slope in points a day', async (t) => {
  const client = await freshDatabase(t)
  await migrate(client)
  const chart = 'hashtags-legacy/US/7/all/sort_by=popular'
  const dates = ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']
  const curve = (value: (day: number) => number): Array<[string, number]> => dates.map((date, day) => [`${date} 00:00:00.000`, value(day)])
  const values = dates.flatMap((date, day) => {
    const at = `${date} 08:00:00.000`
    const task = `v${day}`
    return [
      // Climbs five places a day: 20, 15, 10, 5.
      { ...observation('hashtag:US:7:all:all:climber', 'Climber', date, 20 - 5 * day, null, at, [], chart), task_id: task },
      // Holds rank 1 with a flat curve.
      {
        ...observation('hashtag:US:7:all:all:steady', 'Steady', date, 1, null, at, curve(() => 50).slice(0, day + 1), chart),
        task_id: task,
      },
      // Holds rank 2 while its curve rises twenty points a day. Each snapshot sends the whole curve
      // again, rescaled (an older one reads 5 lower per snapshot since): each day counts as the latest
      // fetch gave it (all rows alike, the slope would read 22.5).
      {
        ...observation(
          'hashtag:US:7:all:all:viral',
          'Viral',
          date,
          2,
          null,
          at,
          curve((d) => 20 * d - 5 * (3 - day)).slice(0, day + 1),
          chart,
        ),
        task_id: task,
      },
    ]
  })
  await client.insert({ table: 'trend_observations', format: 'JSONEachRow', values })
  await client.insert({
    table: 'fetch_log',
    format: 'JSONEachRow',
    values: dates.map((date, day) => attempt(`v${day}`, chart, 1, 'ok', `${date} 08:00:00.000`, 'complete')),
  })
  const velocity = await (
    await client.query({
      query: `SELECT display_name, rank, snapshots, round(rank_velocity, 3) AS rank_velocity, round(curve_velocity, 3) AS curve_velocity
              FROM chart_velocity ORDER BY display_name`,
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(velocity, [
    { display_name: 'Climber', rank: 5, snapshots: '4', rank_velocity: 5, curve_velocity: null },
    { display_name: 'Steady', rank: 1, snapshots: '4', rank_velocity: 0, curve_velocity: 0 },
    { display_name: 'Viral', rank: 2, snapshots: '4', rank_velocity: 0, curve_velocity: 20 },
  ])
  const breakouts = await (
    await client.query({ query: 'SELECT display_name, why FROM chart_breakouts ORDER BY display_name', format: 'JSONEachRow' })
  ).json()
  assert.deepEqual(breakouts, [
    { display_name: 'Climber', why: 'rank' },
    { display_name: 'Viral', why: 'curve' },
  ])
})
