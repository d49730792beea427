import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readAvroSchema, readTopic, registerAvroSchema, type Kafka } from '@trends/kafka'
import { metricValue } from '@trends/metrics'
import { freshSubject, useProducer } from '@trends/testing'
import { stackClients } from '../support/raw-topics.ts'
import { cleanedRecord, freshSinkDatabase, freshSinkTopics, sinkEnv, startSink, waitForNumber } from '../support/sink.ts'

const DAY = 86_400_000

/** The dead letters on the topic: class, source offset and the original bytes. */
async function deadLetters(kafka: Kafka, topic: string, registry: ReturnType<typeof stackClients>['registry']) {
  const letters: Array<{ error_class: string; stage: string; source_offset: string; original: Buffer; context: Record<string, string> }> =
    []
  await readTopic(kafka, topic, async ({ message }) => {
    if (message.value !== null) letters.push((await registry.decode(message.value)) as (typeof letters)[number])
  })
  return letters
}

// Each bad input has its documented outcome; the sink keeps running and every good record lands.
test('bad records: each stored, dead-lettered with its reason, or skipped as documented; nothing lost', { timeout: 180_000 }, async (t) => {
  const { kafka, registry } = stackClients()
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  const cleanedSchema = readAvroSchema('tiktok.trends.cleaned.avsc') as { fields: Array<{ name: string; type: unknown }> }

  // A newer compatible writer schema: one optional field more, registered on the topic's subject.
  const newerId = await registerAvroSchema(registry, `${topics.cleaned}-value`, {
    ...cleanedSchema,
    fields: [...cleanedSchema.fields, { name: 'region', type: ['null', 'string'], default: null }],
  })
  // A writer whose rank is text (it could never register on the topic's subject; it is produced anyway).
  const textRankId = await registerAvroSchema(registry, freshSubject('text-rank'), {
    ...cleanedSchema,
    fields: cleanedSchema.fields.map((field) => (field.name === 'rank' ? { name: 'rank', type: ['null', 'string'] } : field)),
  })

  const producer = await useProducer(t, { idempotent: true })
  const send = async (value: Buffer) => {
    await producer.send({ topic: topics.cleaned, acks: -1, messages: [{ key: 'k', value, partition: 0 }] })
  }
  const good = (i: number) => registry.encode(cleanedSchemaId, cleanedRecord(i))
  await send(await good(1))
  await send(Buffer.from([0, 0x7f, 0xff, 0xff, 0x0e, 1, 2, 3])) // an id the registry never gave
  await send(await registry.encode(newerId, { ...cleanedRecord(2), region: 'NA' }))
  await send(await registry.encode(textRankId, { ...cleanedRecord(3), rank: 'first' }))
  await send(await registry.encode(cleanedSchemaId, cleanedRecord(4, 0, { data_date: Math.floor(Date.UTC(2200, 0, 1) / DAY) })))
  await send(await registry.encode(cleanedSchemaId, cleanedRecord(5, 0, { fetched_at: 0, observed_at: 0 })))
  await send(
    await registry.encode(cleanedSchemaId, cleanedRecord(6, 0, { fetched_at: Date.UTC(2200, 0, 1), observed_at: Date.UTC(2200, 0, 1) })),
  )
  await send(await good(7))

  const { client, database } = await freshSinkDatabase(t)
  const { metrics } = await startSink(t, sinkEnv(prefix, database), client)
  await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= 5)
  const deadline = Date.now() + 30_000
  while ((await metricValue(metrics, 'trends_sink_dead_letters_total')) < 3 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100))

  const stored = await (
    await client.query({
      query: `SELECT item_id, toString(fetched_at) AS fetched_at FROM trend_observations ORDER BY source_offset`,
      format: 'JSONEachRow',
    })
  ).json<{ item_id: string; fetched_at: string }>()
  const id = (i: number) => cleanedRecord(i).item_id
  assert.deepEqual(
    stored.map((row) => row.item_id),
    [id(1), id(2), id(5), id(6), id(7)],
    'good records, the newer-schema record, and both in-range timestamps are stored',
  )
  assert.equal(stored[2]?.fetched_at, '1970-01-01 00:00:00.000', 'a 1970 timestamp is stored as it is')
  assert.equal(stored[3]?.fetched_at, '2200-01-01 00:00:00.000', 'a 2200 timestamp is within DateTime64 and stored as it is')

  const letters = await deadLetters(kafka, topics.deadLetters, registry)
  const byOffset = new Map(letters.map((letter) => [letter.source_offset, letter]))
  assert.equal(byOffset.get('1')?.error_class, 'UNKNOWN_SCHEMA_ID')
  assert.match(
    byOffset.get('3')?.error_class ?? '',
    /^CLICKHOUSE_CANNOT_PARSE/,
    'text where ClickHouse wants a number: refused by ClickHouse',
  )
  assert.match(byOffset.get('3')?.context['clickhouse_code'] ?? '', /^\d+$/)
  assert.equal(byOffset.get('4')?.error_class, 'SINK_VALUE_OUT_OF_RANGE', 'a data date in 2200 is past ClickHouse Date')
  assert.equal(letters.length, 3)
  assert.ok(
    letters.every((letter) => letter.stage === 'sink' && letter.original.length > 0),
    'stage and the original bytes kept',
  )

  // Once a migration adds the newer field's column, the field is stored.
  await client.command({ query: 'ALTER TABLE trend_observations ADD COLUMN region Nullable(String)' })
  await send(await registry.encode(newerId, { ...cleanedRecord(8), region: 'EU' }))
  await waitForNumber(client, "SELECT count() AS n FROM trend_observations WHERE region = 'EU'", (n) => n === 1)
  // The row is visible once inserted; the metric counts it after the offset commit that follows.
  const inserted = () => metricValue(metrics, 'trends_sink_rows_inserted_total', { table: 'trend_observations' })
  for (const until = Date.now() + 10_000; (await inserted()) < 6 && Date.now() < until;)
    await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(await inserted(), 6)

  // The dead letters reach ClickHouse too, with their original bytes exact.
  await waitForNumber(client, "SELECT count() AS n FROM dead_letters WHERE stage = 'sink'", (n) => n === 3)
  const [unknown] = await (
    await client.query({
      query: `SELECT hex(original) AS original FROM dead_letters WHERE error_class = 'UNKNOWN_SCHEMA_ID'`,
      format: 'JSONEachRow',
    })
  ).json<{ original: string }>()
  assert.equal(unknown?.original, '007FFFFF0E010203')
})
