import { test } from 'node:test'
import assert from 'node:assert/strict'
import { letterRow, listSummary, planLines, redriveMessages, redrivePlan, type Letter } from '../src/letters.ts'

function letter(fields: Partial<Letter>): Letter {
  return {
    stage: 'normalizer',
    error_class: 'SCHEMA_MISMATCH',
    message: 'field rank: expected a number',
    source_topic: 'demo.raw.hashtags',
    source_partition: 2,
    source_offset: '41',
    schema_id: 7,
    original: Buffer.from('{"rank":"x"}'),
    context: {},
    failed_at: Date.parse('2026-12-01T21:04:05.678Z'),
    dlqPartition: 0,
    dlqOffset: '12',
    key: Buffer.from('hashtag:US:7:fyp'),
    ...fields,
  }
}

test('a dead letter as a row: where it sits, when and where it failed, where it came from, its size and why', () => {
  assert.deepEqual(letterRow(letter({}), 'json'), {
    offset: '0:12',
    failed_at: '2026-12-01T21:04:05.678Z',
    stage: 'normalizer',
    error_class: 'SCHEMA_MISMATCH',
    source: 'demo.raw.hashtags[2]@41',
    bytes: 12,
    message: 'field rank: expected a number',
  })
  const fetchFailure = letterRow(letter({ stage: 'worker', source_topic: null, source_partition: null, source_offset: null }), 'csv')
  assert.equal(fetchFailure['source'], '', 'a fetch that never became a record has no source')
})

test('a table cuts a long message at 80 characters; JSON and CSV keep it whole', () => {
  const long = letter({ message: 'x'.repeat(200) })
  assert.equal(letterRow(long, 'table')['message'], 'x'.repeat(80))
  assert.equal(letterRow(long, 'json')['message'], 'x'.repeat(200))
  assert.equal(letterRow(long, 'csv')['message'], 'x'.repeat(200))
})

test('the list summary says how many there are and, when --limit cut them, how many are shown', () => {
  assert.equal(listSummary(3, 3), '3 dead letters\n')
  assert.equal(listSummary(120, 50), '120 dead letters, the last 50 shown\n')
  assert.equal(listSummary(0, 0), '0 dead letters\n')
})

test('a redrive plan: letters by the topic they came from, in order; those without a source or bytes skipped', () => {
  const a = letter({ dlqOffset: '1' })
  const b = letter({ dlqOffset: '2', source_topic: 'demo.raw.sounds' })
  const c = letter({ dlqOffset: '3' })
  const noSource = letter({ dlqOffset: '4', source_topic: null })
  const noBytes = letter({ dlqOffset: '5', original: Buffer.alloc(0) })
  const plan = redrivePlan([a, b, noSource, c, noBytes])
  assert.deepEqual([...plan.byTopic.keys()], ['demo.raw.hashtags', 'demo.raw.sounds'])
  assert.deepEqual(
    plan.byTopic.get('demo.raw.hashtags')?.map((l) => l.dlqOffset),
    ['1', '3'],
  )
  assert.equal(plan.skipped, 2)
  assert.equal(
    planLines(plan, true),
    'would redrive 2 → demo.raw.hashtags\nwould redrive 1 → demo.raw.sounds\nskipped 2 without a source topic\n',
  )
  assert.equal(planLines(redrivePlan([a]), false), 'redriving 1 → demo.raw.hashtags\n')
  assert.equal(planLines(redrivePlan([]), false), '')
})

test("redriven records: the original bytes, the key the stage recorded (else the letter's own), and where the letter was", () => {
  const original = Buffer.from([0, 0, 0, 0, 7, 1, 2])
  const messages = redriveMessages(
    [letter({ original, dlqPartition: 1, dlqOffset: '99', context: { key: 'hashtag:JP:30:cat' } }), letter({ original, context: {} })],
    'demo.dead-letters',
  )
  assert.deepEqual(messages, [
    { key: 'hashtag:JP:30:cat', value: original, headers: { 'redriven-from': 'demo.dead-letters:1:99' } },
    { key: Buffer.from('hashtag:US:7:fyp'), value: original, headers: { 'redriven-from': 'demo.dead-letters:0:12' } },
  ])
})
