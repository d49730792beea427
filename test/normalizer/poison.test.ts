import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricValue } from '@trends/metrics'
import { useProducer } from '@trends/testing'
import { startNormalizer, waitForCommitted } from '../support/pipeline.ts'
import { hashtagRawValue, useHashtagRawTopic } from '../support/hashtag-raw.ts'

// Poison raw records: each goes to the dead letters with its class and the Kafka value's exact
// bytes, and the good record sent right after it still reaches the cleaned topic.

const DEEP = '['.repeat(100_000) + ']'.repeat(100_000)

/** Zigzag varint, as Avro writes a long. */
function avroLong(value: bigint): Buffer {
  let rest = value >= 0n ? value * 2n : -value * 2n - 1n
  const bytes: number[] = []
  do {
    const low = Number(rest & 0x7fn)
    rest >>= 7n
    bytes.push(rest === 0n ? low : low | 0x80)
  } while (rest !== 0n)
  return Buffer.from(bytes)
}

const item = (id: string, fields = '') => `{"hashtag_id":"${id}","hashtag_name":"tag ${id}","rank":1,"publish_cnt":10${fields}}`

test('poison raw records are dead-lettered with their exact bytes; the next good record goes through', { timeout: 180_000 }, async (t) => {
  const { env, topics, kafka, registry, topic, schemaId, encode } = await useHashtagRawTopic(t, 'task-poison')

  // Bytes C3 28 are not UTF-8: encode with a stand-in of the same length, then put them in its place.
  const withMarker = await encode(item('40', ',"creators":[{"nick_name":"caf@@"}]'), '40')
  const invalidUtf8 = Buffer.from(withMarker)
  invalidUtf8.set([0xc3, 0x28], invalidUtf8.indexOf('@@'))
  assert.equal(invalidUtf8.indexOf('@@'), -1)

  // A raw record whose request_params map says 9e15 entries follow (about 30 bytes do). Where its
  // count sits: the first byte that differs between an empty map (0) and a one-entry map (count 1).
  const encodeWith = (params: Record<string, string>) =>
    registry.encode(schemaId, { ...hashtagRawValue(item('43'), '43', 'task-poison'), request_params: params })
  const [empty, one] = await Promise.all([encodeWith({}), encodeWith({ a: 'b' })])
  const at = empty.findIndex((byte, index) => byte !== one[index])
  assert.equal(empty[at], 0, 'an empty map is the single count 0')
  const forgedCount = Buffer.concat([empty.subarray(0, at), avroLong(9_000_000_000_000_000n), empty.subarray(at + 1)])

  const creators = JSON.stringify(
    Array.from({ length: 20_000 }, (_, i) => ({ nick_name: `creator number ${i}`, avatar_url: 'https://x/y.png' })),
  )
  const poison: Array<{ label: string; value: Buffer; errorClass: string; step: string }> = [
    { label: 'the whole item 100,000 deep', value: await encode(DEEP, '31'), errorClass: 'JSON_TOO_DEEP', step: 'parse' },
    {
      label: 'one field 100,000 deep',
      value: await encode(item('32', `,"creators":${DEEP}`), '32'),
      errorClass: 'JSON_TOO_DEEP',
      step: 'parse',
    },
    {
      label: 'a key twice',
      value: await encode('{"hashtag_id":"33","hashtag_name":"first","hashtag_name":"second","rank":1}', '33'),
      errorClass: 'DUPLICATE_KEY',
      step: 'parse',
    },
    {
      label: '1e400 as a count',
      value: await encode(item('34', ',"video_views":1e400'), '34'),
      errorClass: 'NUMBER_OUT_OF_RANGE',
      step: 'parse',
    },
    {
      label: '1e400 as a numeric string',
      value: await encode(item('35', ',"video_views":"1e400"'), '35'),
      errorClass: 'NUMBER_OUT_OF_RANGE',
      step: 'validate',
    },
    {
      label: 'a curve value that overflows once scaled',
      value: await encode(item('36', ',"trend":[{"time":1764460800,"value":1e307}]'), '36'),
      errorClass: 'NUMBER_OUT_OF_RANGE',
      step: 'validate',
    },
    {
      label: 'a rank beyond a 32-bit int',
      value: await encode(item('37').replace('"rank":1', '"rank":3000000000'), '37'),
      errorClass: 'NUMBER_OUT_OF_RANGE',
      step: 'validate',
    },
    {
      label: 'a count beyond 2^53',
      value: await encode(item('38', ',"video_views":123456789012345678901'), '38'),
      errorClass: 'NUMBER_OUT_OF_RANGE',
      step: 'validate',
    },
    {
      label: 'an Avro map count of 9e15 with 30 bytes left (avsc would loop over it for hours)',
      value: forgedCount,
      errorClass: 'AVRO_DECODE_FAILED',
      step: 'decode',
    },
    { label: 'item bytes that are not UTF-8', value: invalidUtf8, errorClass: 'INVALID_UTF8', step: 'decode' },
    { label: 'a BOM before the item', value: await encode(`\uFEFF${item('41')}`, '41'), errorClass: 'INVALID_ITEM_JSON', step: 'parse' },
    {
      label: 'a cleaned record above the cleaned topic’s max.message.bytes',
      value: await encode(item('42', `,"creators":${creators}`), '42'),
      errorClass: 'RECORD_TOO_LARGE',
      step: 'encode',
    },
  ]
  // A real U+FFFD sent upstream is not a broken byte: it passes, and so does each good record.
  const replacement = await encode(item('39').replace('tag 39', 'tag \uFFFD 39'), '39')
  const inputs: Array<{ value: Buffer; poison?: (typeof poison)[number] }> = [{ value: replacement }]
  for (const [index, bad] of poison.entries())
    inputs.push({ value: bad.value, poison: bad }, { value: await encode(item(String(100 + index)), String(100 + index)) })

  const normalizer = await startNormalizer(t, env)
  const producer = await useProducer(t)
  for (const [index, input] of inputs.entries()) {
    await producer.send({ topic, acks: -1, messages: [{ key: `input-${index}`, value: input.value }] })
  }

  const good = inputs.length - poison.length
  const dead = await waitForCommitted(kafka, registry, topics.deadLetters, (records) => records.length >= poison.length, 60_000)
  const cleaned = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= good, 60_000)
  assert.equal(dead.length, poison.length)
  assert.equal(cleaned.length, good)

  for (const [offset, input] of inputs.entries()) {
    const bad = input.poison
    const letter = dead.find((record) => (record.value as unknown as Record<string, unknown>)['source_offset'] === String(offset))
    if (bad === undefined) {
      assert.equal(letter, undefined, `offset ${offset} is a good record`)
      continue
    }
    assert.ok(letter, `${bad.label}: a dead letter for offset ${offset}`)
    const value = letter.value as unknown as Record<string, unknown>
    assert.equal(value['error_class'], bad.errorClass, bad.label)
    assert.equal((value['context'] as Record<string, string>)['step'], bad.step, `${bad.label}: step`)
    assert.equal(value['schema_id'], schemaId)
    assert.ok((value['original'] as Buffer).equals(bad.value), `${bad.label}: the Kafka value's bytes, exactly`)
    assert.ok(String(value['message']).length <= 500)
  }
  const ids = new Set(cleaned.map((record) => record.value.item_id))
  for (let index = 0; index < poison.length; index++)
    assert.ok(ids.has(String(100 + index)), `the good record after case ${index} is cleaned`)
  const kept = cleaned.find((record) => record.value.item_id === '39')
  assert.equal(kept?.value.display_name, 'tag \uFFFD 39')
  for (const record of cleaned) {
    for (const field of ['posts', 'views', 'rank'] as const) {
      const number = record.value[field]
      assert.ok(number === null || Number.isFinite(number), `${field} is finite or null`)
    }
  }

  const { metrics } = normalizer
  for (const errorClass of ['JSON_TOO_DEEP', 'DUPLICATE_KEY', 'NUMBER_OUT_OF_RANGE', 'INVALID_UTF8', 'RECORD_TOO_LARGE']) {
    const want = poison.filter((bad) => bad.errorClass === errorClass).length
    assert.equal(await metricValue(metrics, 'trends_normalizer_dead_letters_total', { error_class: errorClass }), want, errorClass)
  }
  assert.equal(await metricValue(metrics, 'trends_normalizer_records_in_total', { topic }), inputs.length)
})
