import { test } from 'node:test'
import assert from 'node:assert/strict'
import { migrate } from '@trends/clickhouse'
import { useFreshDatabase } from '@trends/testing'
import { errorClassLabel, failureLabels, insertSplitting, isContentError } from '../src/insert.ts'

const count = async (client: Parameters<typeof insertSplitting>[0], query: string) =>
  Number((await (await client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n)

test('a refused row is isolated by splitting; the others are inserted once, also when the batch is inserted again', async (t) => {
  const { client } = await useFreshDatabase(t, 'insert')
  await client.command({
    query: `CREATE TABLE facts (id UInt32, rank UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
  })
  const items = Array.from({ length: 9 }, (_, i) => ({ row: { id: i, rank: i === 6 ? 'not a number' : i + 1 } }))
  let splits = 0
  const rejected = await insertSplitting(client, { table: 'facts', token: 't:0:0-8' }, items, () => splits++)
  assert.equal(rejected.length, 1)
  assert.equal(rejected[0]?.item, items[6])
  assert.match(rejected[0]?.failure.type ?? '', /^CANNOT_PARSE/)
  assert.ok(/^\d+$/.test(rejected[0]?.failure.code ?? ''), 'ClickHouse error code kept')
  const labels = failureLabels(rejected[0]!.failure)
  assert.deepEqual(
    labels,
    { code: rejected[0]?.failure.code, type: rejected[0]?.failure.type },
    'what ClickHouse says is on the known list',
  )
  assert.ok(splits >= 3, `split down to the row (${splits} splits)`)
  assert.equal(await count(client, 'SELECT count() AS n FROM facts'), 8)

  const again = await insertSplitting(client, { table: 'facts', token: 't:0:0-8' }, items)
  assert.equal(again.length, 1, 'the same row is refused again')
  assert.equal(await count(client, 'SELECT count() AS n FROM facts'), 8, 'nothing inserted twice')
})

test('the token keeps a repeated batch out of the table and out of its materialized views', async (t) => {
  const { client } = await useFreshDatabase(t, 'insert')
  await migrate(client)
  const row = {
    kind: 'hashtag',
    item_id: '1',
    natural_key: 'hashtag:US:7::1',
    display_name: 'a',
    normalized_name: 'a',
    country: 'US',
    period: 7,
    rank: 1,
    curve: [
      { at: '2026-11-19 00:00:00.000', value: 1 },
      { at: '2026-11-20 00:00:00.000', value: 2 },
    ],
    data_date: '2026-11-20',
    attributes: {},
    endpoint: 'hashtags-legacy',
    generation: 'legacy',
    fetched_at: '2026-11-20 08:00:00.000',
    observed_at: '2026-11-20 08:00:00.000',
    fetch_id: 'f',
    task_id: 't',
    source_topic: 'raw',
    source_partition: 0,
    source_offset: 1,
    source_schema_id: 1,
  }
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await insertSplitting(client, { table: 'trend_observations', token: 'c:0:5-5' }, [{ row }]), [])
  }
  assert.equal(await count(client, 'SELECT count() AS n FROM trend_observations'), 1)
  assert.equal(await count(client, 'SELECT count() AS n FROM trend_curve_points'), 2)
  assert.equal(await count(client, 'SELECT count() AS n FROM trend_latest'), 1)
  assert.equal(await count(client, 'SELECT count() AS n FROM trend_item_stats'), 1)
})

test('errors about the server are not taken for errors about the rows', () => {
  assert.equal(isContentError({ code: '27', type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', message: '' }), true)
  assert.equal(isContentError({ code: '60', type: 'UNKNOWN_TABLE', message: '' }), false)
  assert.equal(isContentError({ code: '516', type: 'AUTHENTICATION_FAILED', message: '' }), false)
  assert.equal(isContentError({ code: 'ECONNREFUSED', type: '', message: 'connect ECONNREFUSED' }), false)
})

test('metric labels: ClickHouse names and codes from a closed list, anything else other', () => {
  const failure = (code: string, type: string) => ({ code, type, message: `Code: ${code}. DB::Exception: something (${type})` })
  assert.deepEqual(failureLabels(failure('516', 'AUTHENTICATION_FAILED')), { code: '516', type: 'AUTHENTICATION_FAILED' })
  assert.deepEqual(failureLabels(failure('27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED')), {
    code: '27',
    type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  })
  assert.deepEqual(failureLabels(failure('999', 'SOME_NAME_A_SERVER_MADE_UP')), { code: 'other', type: 'other' })
  assert.deepEqual(failureLabels(failure('1234567', 'AUTHENTICATION_FAILED')), { code: 'other', type: 'other' })
  assert.deepEqual(failureLabels(failure('ECONNREFUSED', '')), { code: 'ECONNREFUSED', type: '' })
  assert.deepEqual(failureLabels(failure('UND_ERR_SOCKET', '')), { code: 'UND_ERR_SOCKET', type: '' })
  assert.deepEqual(failureLabels(failure('CLICKHOUSE_UNAVAILABLE', '')), { code: 'CLICKHOUSE_UNAVAILABLE', type: '' })
  assert.deepEqual(failureLabels(failure('', '')), { code: '', type: '' })
  assert.deepEqual(failureLabels(failure('<html>a proxy page</html>', '')), { code: 'other', type: '' })
  assert.equal(errorClassLabel('CLICKHOUSE_TYPE_MISMATCH'), 'CLICKHOUSE_TYPE_MISMATCH')
  assert.equal(errorClassLabel('CLICKHOUSE_INSERT_REFUSED'), 'CLICKHOUSE_INSERT_REFUSED')
  assert.equal(errorClassLabel('CLICKHOUSE_WHATEVER_THE_SERVER_SAYS'), 'CLICKHOUSE_other')
  assert.equal(errorClassLabel('AVRO_DECODE_FAILED'), 'AVRO_DECODE_FAILED')
})
