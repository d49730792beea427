import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricValue } from '@trends/metrics'
import { useProducer } from '@trends/testing'
import { startNormalizer, waitForCommitted } from '../support/pipeline.ts'
import { useHashtagRawTopic } from '../support/hashtag-raw.ts'

// Each bad input goes to the dead letters with its reason and the original bytes, or, where it is
// still a valid observation, through; the service keeps running and the next good record passes.

const item = (fields: Record<string, unknown>) =>
  JSON.stringify({ rank: 1, publish_cnt: 10, video_views: 100, rank_diff_type: 4, ...fields })

test('bad raw records land in the dead letters with their reason; the stream moves on', { timeout: 180_000 }, async (t) => {
  const { env, topics, kafka, registry, topic, schemaId, encode } = await useHashtagRawTopic(t, 'task-bad-input')

  const longName = 'x'.repeat(2 * 1024 * 1024)
  const inputs: Array<{ label: string; value: Buffer; outcome: string }> = [
    { label: 'not Confluent-framed', value: Buffer.from('hello, not avro'), outcome: 'NOT_CONFLUENT_AVRO' },
    { label: 'unknown schema id', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0x0f, 2, 4, 6]), outcome: 'UNKNOWN_SCHEMA_ID' },
    { label: 'truncated JSON', value: await encode('{"hashtag_id":"11","hashtag_name":"cut', '11'), outcome: 'INVALID_ITEM_JSON' },
    { label: 'missing id', value: await encode(item({ hashtag_name: 'no id here' }), '12'), outcome: 'MISSING_FIELD' },
    {
      label: 'bare 19-digit id',
      value: await encode('{"rank":1,"hashtag_id":7383227119714238469,"hashtag_name":"bigid"}', '7383227119714238469'),
      outcome: 'clean',
    },
    {
      label: 'required field renamed',
      value: await encode(item({ hashtag_id: '14', hashtagName: 'renamed' }), '14'),
      outcome: 'MISSING_FIELD',
    },
    {
      label: 'optional field renamed',
      value: await encode(JSON.stringify({ hashtag_id: '15', hashtag_name: 'Views Renamed', rank: 2, videoViews: 99 }), '15'),
      outcome: 'clean',
    },
    { label: '2 MB name', value: await encode(item({ hashtag_id: '16', hashtag_name: longName }), '16'), outcome: 'NAME_TOO_LONG' },
    {
      label: 'mixed scripts and RTL',
      value: await encode(item({ hashtag_id: '17', hashtag_name: '\u202Bرمضان كريم\u202C Ramadan 🌙 Привет' }), '17'),
      outcome: 'clean',
    },
    {
      label: 'a good record after all that',
      value: await encode(item({ hashtag_id: '18', hashtag_name: '#SpringOutfits' }), '18'),
      outcome: 'clean',
    },
  ]
  assert.match(
    inputs[4]?.value.toString('latin1') ?? '',
    /"hashtag_id":7383227119714238469,/,
    'the id really is a bare number in the JSON text',
  )

  const normalizer = await startNormalizer(t, env)
  const producer = await useProducer(t)
  for (const [index, input] of inputs.entries()) {
    await producer.send({ topic, acks: -1, messages: [{ key: `input-${index}`, value: input.value }] })
  }

  const expectDead = inputs.filter((input) => input.outcome !== 'clean')
  const expectClean = inputs.filter((input) => input.outcome === 'clean')
  const dead = await waitForCommitted(kafka, registry, topics.deadLetters, (records) => records.length >= expectDead.length, 60_000)
  const cleaned = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= expectClean.length, 60_000)
  assert.equal(dead.length, expectDead.length)
  assert.equal(cleaned.length, expectClean.length)

  for (const [index, input] of inputs.entries()) {
    if (input.outcome === 'clean') continue
    const letter = dead.find((record) => (record.value as unknown as Record<string, unknown>)['source_offset'] === String(index))
    assert.ok(letter, `${input.label}: a dead letter for offset ${index}`)
    const value = letter.value as unknown as Record<string, unknown>
    assert.equal(value['stage'], 'normalizer')
    assert.equal(value['error_class'], input.outcome, input.label)
    assert.equal(value['source_topic'], topic)
    assert.equal(value['source_partition'], 0)
    assert.ok(Buffer.compare(value['original'] as Buffer, input.value) === 0, `${input.label}: the original bytes are kept whole`)
    assert.ok(String(value['message']).length > 0 && String(value['message']).length <= 500)
    const expectedSchemaId = input.outcome === 'NOT_CONFLUENT_AVRO' ? null : input.outcome === 'UNKNOWN_SCHEMA_ID' ? 0x7fffff0f : schemaId
    assert.equal(value['schema_id'], expectedSchemaId, `${input.label}: schema id`)
  }

  const byId = new Map(cleaned.map((record) => [record.value.item_id, record.value]))
  assert.equal(byId.get('7383227119714238469')?.normalized_name, 'bigid', 'the bare 64-bit id kept every digit')
  assert.equal(byId.get('15')?.views, null, 'a renamed count is missing, not guessed')
  assert.equal(byId.get('17')?.normalized_name, 'رمضان كريم ramadan 🌙 привет')
  assert.equal(byId.get('17')?.display_name, '\u202Bرمضان كريم\u202C Ramadan 🌙 Привет')
  assert.equal(byId.get('18')?.normalized_name, 'springoutfits')
  assert.equal(
    byId.get('18')?.data_date,
    Math.floor(Date.UTC(2026, 10, 24) / 86_400_000),
    'no curve: the data date comes from the request_id',
  )

  const { metrics } = normalizer
  assert.equal(await metricValue(metrics, 'trends_normalizer_dead_letters_total', { error_class: 'MISSING_FIELD' }), 2)
  assert.equal(await metricValue(metrics, 'trends_normalizer_dead_letters_total', { step: 'decode' }), 2)
  assert.equal(await metricValue(metrics, 'trends_normalizer_records_in_total', { topic }), inputs.length)
})
