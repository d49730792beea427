import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { ensureTopics, readTopic, registerTopicSchema, topicsFor } from '@trends/kafka'
import { useFreshDatabase, useProducer } from '@trends/testing'
import { served, trends } from '../support/cli.ts'
import { stackClients } from '../support/raw-topics.ts'
import { useSimulator } from '../support/simulator.ts'
import { cleanedRecord, fetchLogEntry, loadThroughSink } from '../support/sink.ts'

test('trends with an unknown command, an unknown flag, or nothing: one line, exit 2, no stack trace', async () => {
  for (const args of [['nope'], ['top', '--bogus'], ['query']]) {
    const result = await trends(args)
    assert.equal(result.code, 2, args.join(' '))
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  }
  // A contract file naming an endpoint that does not exist: the problem on a line of its own, exit 2.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-contracts-'))
  try {
    const file = path.join(dir, 'contracts.json')
    writeFileSync(file, JSON.stringify({ 'hashtags-tiktok': { extra: ['x'] } }))
    const result = await trends(['fetch', 'hashtags-legacy', '--country', 'US', '--period', '7'], { CC_CONTRACTS_FILE: file })
    assert.equal(result.code, 2)
    assert.match(result.stderr, new RegExp(`^  CC_CONTRACTS_FILE: ${file}: unknown endpoint "hashtags-tiktok" \\(known: .*\\)$`, 'm'))
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const help = await trends(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /run\s+the whole pipeline/)
})

test('trends query: a table, JSON or CSV from the ClickHouse trends run serves; ClickHouse errors as one line, exit 1', async (t) => {
  const { port, path: storePath } = await served(t)
  const { database } = await useFreshDatabase(t, 'cli')
  const env = { CLICKHOUSE_HTTP_PORT: port, CLICKHOUSE_PATH: storePath, CLICKHOUSE_DATABASE: database }
  const sql = "SELECT number AS n, concat('item ', toString(number)) AS name FROM numbers(3)"
  const tableOut = await trends(['query', sql], env)
  assert.equal(tableOut.code, 0, tableOut.stderr)
  assert.equal(tableOut.stdout, 'n  name\n─  ──────\n0  item 0\n1  item 1\n2  item 2\n')
  const json = await trends(['query', sql, '--format', 'json'], env)
  assert.deepEqual(JSON.parse(json.stdout), [
    { n: '0', name: 'item 0' },
    { n: '1', name: 'item 1' },
    { n: '2', name: 'item 2' },
  ])
  const csv = await trends(['query', sql, '--format', 'csv'], env)
  assert.equal(csv.stdout, 'n,name\n0,item 0\n1,item 1\n2,item 2\n')
  const bad = await trends(['query', 'SELEKT 1'], env)
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /^trends query: ClickHouse refused the query: .*\(SYNTAX_ERROR\)\n$/)
})

/** The last attempt of a chart fetch that ended (complete unless said), as the worker writes it. */
function endedFetch(task: string, chart: string, endpoint: string, at: number, snapshot = 'complete'): Record<string, unknown> {
  const generation = endpoint.endsWith('creative-one') ? 'creative-one' : 'legacy'
  return fetchLogEntry({
    fetch_id: `${task}-1`,
    task_id: task,
    endpoint,
    generation,
    items: 4,
    requested_at: at,
    chart_id: chart,
    snapshot,
  })
}

test(
  'trends top: one chart as of its latest complete snapshot, never two charts merged; --source, --as-of, bad input',
  { timeout: 120_000 },
  async (t) => {
    const { port, path: storePath } = await served(t)
    const legacy = 'hashtags-legacy/US/7/all/sort_by=popular'
    const creativeOne = 'hashtags-creative-one/US/7/all'
    // The legacy chart over three days, ranks moving, each day's fetch complete; the other generation's
    // chart of the same country and period, with the same items at other ranks, one day older and
    // partial (its fetch stopped at its page cap).
    const days = [0, 1, 2]
    const records = [
      ...days.flatMap((day) => [0, 1, 2, 3].map((i) => cleanedRecord(i, day, { rank: ((i + day) % 4) + 1 }))),
      ...[0, 1, 2, 3].map((i) =>
        cleanedRecord(i, 1, {
          rank: 4 - i,
          chart_id: creativeOne,
          endpoint: 'hashtags-creative-one',
          generation: 'creative-one',
          task_id: 'c1-1',
        }),
      ),
    ]
    const fetches = [
      ...days.map((day) =>
        endedFetch(`task-${day}`, legacy, 'hashtags-legacy', records.find((r) => r.task_id === `task-${day}`)!.fetched_at),
      ),
      endedFetch('c1-1', creativeOne, 'hashtags-creative-one', records.find((r) => r.task_id === 'c1-1')!.fetched_at, 'max_pages'),
    ]
    const { database } = await loadThroughSink(t, records, fetches)
    const env = { CLICKHOUSE_HTTP_PORT: port, CLICKHOUSE_PATH: storePath, CLICKHOUSE_DATABASE: database }
    const latestDate = Math.max(...records.map((r) => r.data_date ?? 0))
    const onDay = (day: number, chart = legacy) =>
      records.filter((r) => r.chart_id === chart && r.data_date === latestDate - day).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))

    const json = await trends(['top', '--kind', 'hashtag', '--country', 'us', '--limit', '3', '--format', 'json'], env)
    assert.equal(json.code, 0, json.stderr)
    const shown = JSON.parse(json.stdout) as Array<{ chart_id: string; data_date: string; rank: number; name: string; move: string }>
    // One chart, its newest snapshot, one item per rank; how each moved since the day before.
    const yesterday = new Map(onDay(1).map((r) => [r.display_name, r.rank ?? 0]))
    assert.deepEqual(
      shown.map(({ chart_id, rank, name, move }) => ({ chart_id, rank, name, move })),
      onDay(0)
        .slice(0, 3)
        .map((r) => {
          const places = (yesterday.get(r.display_name) ?? 0) - (r.rank ?? 0)
          return {
            chart_id: legacy,
            rank: r.rank,
            name: r.display_name,
            move: places === 0 ? '=' : places > 0 ? `+${places}` : String(places),
          }
        }),
    )
    assert.equal(new Set(shown.map((row) => row.rank)).size, shown.length, 'no rank twice')

    // The heading names the chart and the snapshot; the other chart of the same country and period is offered, not merged.
    const table = await trends(['top', '--country', 'US'], env)
    assert.equal(table.code, 0, table.stderr)
    assert.match(
      table.stdout,
      new RegExp(
        `^hashtags · US · 7 days · all industries \\(${legacy.replace(/[/=]/g, '.')}\\) · snapshot \\d{4}-\\d{2}-\\d{2}, complete, 4 items`,
      ),
    )
    assert.match(table.stdout, new RegExp(`^other charts it could mean \\(--chart\\): ${creativeOne}$`, 'm'))
    assert.equal(table.stdout.split('\n').filter((line) => /^\s+1\s/.test(line)).length, 1, 'one item at rank 1')

    // A chart with no complete snapshot shows its latest partial one, said so, without moves.
    const partial = await trends(['top', '--source', 'hashtags-creative-one'], env)
    assert.equal(partial.code, 0, partial.stderr)
    assert.match(
      partial.stdout,
      /^hashtags · US · 7 days · all industries \(hashtags-creative-one\/US\/7\/all\) · snapshot [\d-]+, partial \(max_pages\), 4 items/,
    )
    const other = await trends(['top', '--source', 'hashtags-creative-one', '--format', 'json'], env)
    assert.equal(other.code, 0, other.stderr)
    assert.deepEqual(
      (JSON.parse(other.stdout) as Array<{ chart_id: string; name: string }>).map((row) => [row.chart_id, row.name]),
      onDay(1, creativeOne).map((r) => [creativeOne, r.display_name]),
    )
    const before = await trends(
      ['top', '--as-of', new Date((latestDate - 2) * 86_400_000).toISOString().slice(0, 10), '--format', 'json'],
      env,
    )
    assert.equal(before.code, 0, before.stderr)
    const first = JSON.parse(before.stdout) as Array<{ name: string; move: string }>
    assert.deepEqual(
      first.map((row) => row.name),
      onDay(2).map((r) => r.display_name),
    )
    assert.ok(
      first.every((row) => row.move === ''),
      "a chart's first snapshot has nothing to move from",
    )

    for (const [args, pattern] of [
      [['top', '--as-of', '2026-02-30'], /--as-of: a date/],
      [['top', '--industry', 'Knitting'], /--industry: an id or one of/],
      [['top', '--chart', 'hashtags-legacy/XX/7/all'], /no snapshot of the chart hashtags-legacy\/XX\/7\/all/],
      [['top', '--industry', '22000000000'], /no snapshot of a hashtag chart, US, 7 days, Apparel & Accessories/],
    ] as const) {
      const result = await trends([...args], env)
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, pattern)
      assert.equal(result.stderr.trim().split('\n').length, 1)
    }
  },
)

test("trends industries: the upstream's industry list beside the release's; a captcha is one line, exit 1", async (t) => {
  const simulator = await useSimulator(t)
  const env = { CC_BASE_URL: simulator.url, CC_RATE_PER_SECOND: '50', CC_BURST: '5', CC_MAX_ATTEMPTS: '1' }
  const listed = await trends(['industries', '--format', 'json'], env)
  assert.equal(listed.code, 0, listed.stderr)
  const rows = JSON.parse(listed.stdout) as Array<{ id: string; name: string; known: string }>
  assert.equal(rows.length, 18)
  assert.ok(
    rows.every((row) => /^\d{11}$/.test(row.id) && row.known === 'same'),
    JSON.stringify(rows),
  )
  assert.deepEqual(rows.find((row) => row.id === '22000000000')?.name, 'Apparel & Accessories')
  assert.equal(listed.stderr, '18 industries upstream: 0 new, 0 renamed; 0 known here not listed upstream\n')
  await simulator.fault({ fault: 'captcha', path: '/cc_portal_api/api/trendsTcc' })
  const refused = await trends(['industries'], env)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^trends industries: industries page 0: a captcha page instead of JSON \(HTTP 200\) \(CC_CAPTCHA\)\n$/)
})

test('trends fetch: one page as the producer client sees it, items and exact JSON; a bad target is a usage error', async (t) => {
  const simulator = await useSimulator(t)
  const env = { CC_BASE_URL: simulator.url, CC_RATE_PER_SECOND: '50', CC_BURST: '5' }
  const listed = await trends(['fetch', 'hashtags-legacy', '--country', 'US', '--period', '7', '--format', 'json'], env)
  assert.equal(listed.code, 0, listed.stderr)
  const items = JSON.parse(listed.stdout) as Array<{ position: number; id: string; name: string }>
  assert.ok(items.length > 0)
  assert.deepEqual(
    items.map((item) => item.position),
    items.map((_, i) => i + 1),
  )
  assert.ok(items.every((item) => /^\d+$/.test(item.id) && item.name !== ''))
  assert.match(listed.stderr, /^hashtags-legacy page 1: \d+ items, HTTP 200/)
  const raw = await trends(['fetch', 'hashtags-legacy', '--country', 'US', '--period', '7', '--raw'], env)
  const lines = raw.stdout.trim().split('\n')
  assert.equal(lines.length, items.length)
  assert.ok(
    lines.every((line, i) => line.startsWith('{') && line.includes(items[i]!.id)),
    'each item as received, ids exact',
  )
  const bad = await trends(['fetch', 'hashtags-legacy', '--country', 'XX'], env)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /unknown country "XX"/)
  // Logged out, the TikTok One hashtag list stops at 3 rows and says it has no more: partial, said so.
  const capped = await trends(['fetch', 'hashtags-creative-one', '--country', 'US', '--period', '7'], env)
  assert.equal(capped.code, 0, capped.stderr)
  assert.match(capped.stderr, /^snapshot: partial \(logged_out_cap\): without a login the upstream stops at 3 rows/m)
  const whole = await trends(['fetch', 'hashtags-creative-one', '--country', 'US', '--period', '7'], {
    ...env,
    CC_COOKIE: 'sessionid_ads=x',
  })
  assert.doesNotMatch(whole.stderr, /logged_out_cap/)
})

test('trends dlq: list the dead letters, redrive their original bytes to where they came from', { timeout: 120_000 }, async (t) => {
  const { kafka, registry } = stackClients()
  const prefix = `test-${randomSuffix()}`
  const topics = topicsFor(prefix)
  const source = topics.raw('hashtag')
  await ensureTopics(kafka, [
    { topic: topics.deadLetters, numPartitions: 1 },
    { topic: source, numPartitions: 1 },
  ])
  const schemaId = await registerTopicSchema(registry, topics.deadLetters, 'tiktok.dead-letter.avsc')
  const letter = (i: number, errorClass: string, sourceTopic: string | null) => ({
    stage: 'normalizer',
    error_class: errorClass,
    message: `reason ${i}`,
    source_topic: sourceTopic,
    source_partition: sourceTopic === null ? null : 0,
    source_offset: sourceTopic === null ? null : String(i),
    schema_id: null,
    original: Buffer.from([0, 1, 2, i]),
    context: { step: 'parse', key: `key-${i}` },
    failed_at: Date.UTC(2026, 10, 24, 10, i),
  })
  const producer = await useProducer(t, { idempotent: true })
  await producer.send({
    topic: topics.deadLetters,
    acks: -1,
    messages: await Promise.all(
      [letter(1, 'INVALID_ITEM_JSON', source), letter(2, 'MISSING_ID', source), letter(3, 'INVALID_ITEM_JSON', null)].map(
        async (value) => ({
          key: null,
          value: await registry.encode(schemaId, value),
        }),
      ),
    ),
  })
  const env = { TOPIC_PREFIX: prefix }
  const listed = await trends(['dlq', 'list', '--format', 'json'], env)
  assert.equal(listed.code, 0, listed.stderr)
  const rows = JSON.parse(listed.stdout) as Array<{ error_class: string; source: string; bytes: number }>
  assert.deepEqual(
    rows.map((row) => [row.error_class, row.source, row.bytes]),
    [
      ['INVALID_ITEM_JSON', `${source}[0]@1`, 4],
      ['MISSING_ID', `${source}[0]@2`, 4],
      ['INVALID_ITEM_JSON', '', 4],
    ],
  )
  const redrive = await trends(['dlq', 'redrive', '--class', 'INVALID_ITEM_JSON'], env)
  assert.equal(redrive.code, 0, redrive.stderr)
  assert.match(redrive.stdout, new RegExp(`redriving 1 → ${source.replace(/\./g, '\\.')}`))
  assert.match(redrive.stdout, /skipped 1 without a source topic/)
  const republished: Array<{ key: string; value: string; from: string }> = []
  await readTopic(kafka, source, ({ message }) => {
    republished.push({
      key: message.key?.toString() ?? '',
      value: message.value?.toString('hex') ?? '',
      from: message.headers?.['redriven-from']?.toString() ?? '',
    })
  })
  assert.deepEqual(republished, [{ key: 'key-1', value: '00010201', from: `${topics.deadLetters}:0:0` }])
})

test('trends run with a server that does not answer or a malformed setting: one line naming it, non-zero exit, nothing started', async () => {
  const cases: Array<[Record<string, string>, RegExp, number]> = [
    [{ KAFKA_BROKERS: '127.0.0.1:1' }, /^trends run: Kafka at 127\.0\.0\.1:1 does not answer \(KAFKA_UNAVAILABLE\)/, 1],
    [
      { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7' },
      /^trends run: the schema registry at .* does not answer \(SCHEMA_REGISTRY_UNAVAILABLE\)/,
      1,
    ],
    [{ CLICKHOUSE_URL: 'http://127.0.0.1:1' }, /^trends run: ClickHouse at 127\.0\.0\.1:1 refused the migrations \(ECONNREFUSED\)/, 1],
    [{ METRICS_PORT_SINK: 'abc' }, /^trends run: invalid configuration:\n {2}METRICS_PORT_SINK: /, 2],
  ]
  for (const [env, message, code] of cases) {
    const result = await trends(['run'], env)
    assert.equal(result.code, code, JSON.stringify(env))
    assert.match(result.stderr, message)
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
    assert.doesNotMatch(result.stdout, /running: producer/)
  }
})
