import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { migrate } from '@trends/clickhouse'
import { useFreshDatabase } from '@trends/testing'
import { served, trends } from '../support/cli.ts'

const CLI = path.resolve(import.meta.dirname, '../../services/cli/src/main.ts')
const US = 'hashtags-legacy/US/7/all/sort_by=popular'
const GB = 'hashtags-legacy/GB/7/all/sort_by=popular'

const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace('T', ' ').replace('Z', '')
const day = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)

/** A trend_signals row as the sink stores it. */
function signal(
  id: string,
  chart: string,
  type: string,
  name: string,
  previousRank: number | null,
  rank: number | null,
  extra: Record<string, unknown> = {},
) {
  return {
    event_id: id,
    type,
    chart_id: chart,
    kind: 'hashtag',
    country: chart.split('/')[1],
    period: 7,
    industry: '',
    endpoint: 'hashtags-legacy',
    previous_date: day(2),
    data_date: day(1),
    natural_key: `hashtag:${name}`,
    item_id: name,
    display_name: name,
    previous_rank: previousRank,
    rank,
    measure: 'rank',
    value: rank ?? previousRank ?? 0,
    threshold: null,
    detected_at: ago(3_600_000),
    ...extra,
  }
}

test('trends signals: the changes as a table, JSON or CSV; by chart, type and since; a chart nobody knows is a usage error', async (t) => {
  const { port, path: storePath } = await served(t)
  const { client, database } = await useFreshDatabase(t, 'signals_cli')
  await migrate(client)
  await client.insert({
    table: 'trend_signals',
    format: 'JSONEachRow',
    values: [
      signal('e1', US, 'new_top', 'Springtime', 2, 1),
      signal('e2', US, 'entered', '春の服', null, 5),
      signal('e3', US, 'rank_jump', 'GoldenHour', 14, 3, { measure: 'places', value: 11, threshold: 10 }),
      signal('e4', US, 'exited', 'Yesterday', 15, null, { measure: 'previous_rank', value: 15 }),
      signal('e5', GB, 'breakout', 'Rising', 9, 2, { measure: 'rank_velocity', value: 6.5, threshold: 5, detected_at: ago(60_000) }),
      // Shown on a snapshot ten days back: outside the default window.
      signal('e6', GB, 'entered', 'Old', null, 3, { previous_date: day(11), data_date: day(10), detected_at: ago(10 * 86_400_000) }),
    ],
  })
  const env = { CLICKHOUSE_HTTP_PORT: port, CLICKHOUSE_PATH: storePath, CLICKHOUSE_DATABASE: database }

  const all = await trends(['signals'], env)
  assert.equal(all.code, 0, all.stderr)
  const lines = all.stdout.trimEnd().split('\n')
  assert.match(lines[0]!, /^data_date\s+chart\s+event\s+item\s+change$/)
  assert.deepEqual(
    lines.slice(2).map((line) => line.split(/\s{2,}/).slice(2)),
    [
      ['new_top', 'Springtime', 'new number 1 (was #2)'],
      ['entered', '春の服', 'new at #5'],
      ['rank_jump', 'GoldenHour', '#14 → #3 (+11)'],
      ['exited', 'Yesterday', 'left the chart (was #15)'],
      ['breakout', 'Rising', 'rising 6.5 places a day (now #2)'],
    ],
  )

  const json = await trends(['signals', '--chart', GB, '--since', '30d', '--format', 'json'], env)
  assert.equal(json.code, 0, json.stderr)
  const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>
  assert.deepEqual(
    rows.map((row) => [row['event_id'], row['type'], row['previous_rank'], row['rank'], row['value']]),
    [
      ['e6', 'entered', null, 3, 3],
      ['e5', 'breakout', 9, 2, 6.5],
    ],
  )
  const recent = await trends(['signals', '--since', '10m', '--format', 'csv'], env)
  assert.match(recent.stdout, /^event_id,detected_at,data_date,previous_date,chart_id,type,/)
  assert.equal(recent.stdout.trimEnd().split('\n').length, 2, recent.stdout)
  assert.match(recent.stdout, /e5,.*,breakout,/)
  const jumps = await trends(['signals', '--type', 'rank_jump', '--format', 'json'], env)
  assert.deepEqual(
    (JSON.parse(jumps.stdout) as Array<{ event_id: string }>).map((row) => row.event_id),
    ['e3'],
  )

  for (const [args, message] of [
    [['--chart', 'hashtags-legacy/XX/7/all'], /^trends signals: no chart hashtags-legacy\/XX\/7\/all; trends query/],
    [['--since', 'yesterday'], /^trends signals: --since: a date such as 2026-12-01 or a duration such as 6h or 3d/],
    [['--type', 'moved'], /^trends signals: --type: one of entered, exited, rank_jump, new_top, breakout/],
  ] as const) {
    const bad = await trends(['signals', ...args], env)
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`)
    assert.match(bad.stderr, message)
    assert.equal(bad.stderr.trim().split('\n').length, 1)
  }
})

test('trends signals --follow: what is there, then each new event once as it arrives; SIGTERM ends it', { timeout: 60_000 }, async (t) => {
  const { port, path: storePath } = await served(t)
  const { client, database } = await useFreshDatabase(t, 'signals_follow')
  await migrate(client)
  await client.insert({ table: 'trend_signals', format: 'JSONEachRow', values: [signal('f1', US, 'entered', 'First', null, 4)] })
  const child = spawn(process.execPath, [CLI, 'signals', '--follow', '--format', 'json'], {
    env: { ...process.env, CLICKHOUSE_HTTP_PORT: port, CLICKHOUSE_PATH: storePath, CLICKHOUSE_DATABASE: database },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  t.after(() => child.kill('SIGKILL'))
  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 20_000
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out; printed:\n${out}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  await until(() => out.includes('"f1"'))
  await client.insert({
    table: 'trend_signals',
    format: 'JSONEachRow',
    values: [signal('f2', US, 'exited', 'Second', 7, null, { detected_at: ago(0) })],
  })
  await until(() => out.includes('"f2"'))
  // Two more polls: neither event is printed again.
  await new Promise((resolve) => setTimeout(resolve, 4500))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
  const printed = out
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as { event_id: string }).event_id)
  assert.deepEqual(printed, ['f1', 'f2'])
})
