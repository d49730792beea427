import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConsumerHealth } from '../src/consumer-health.ts'

function clock(start = 1_000_000) {
  let at = start
  return { now: () => at, advance: (ms: number) => (at += ms) }
}

test('a consumer is ready once running, and stalled only with lag and no progress for the stall time', () => {
  const time = clock()
  const health = new ConsumerHealth({ stallAfterMs: 90_000, now: time.now })
  assert.equal(health.problem(), 'starting')
  health.starting('joining the group')
  assert.equal(health.problem(), 'starting: joining the group', 'a start names its step')
  health.running()
  assert.equal(health.problem(), undefined)
  health.starting('joining the group')
  assert.equal(health.problem(), undefined, 'a step told after the consumer ran changes nothing')

  // Idle for an hour with no lag: still ready, and the hour does not count once lag appears.
  time.advance(3_600_000)
  assert.equal(health.problem(), undefined)
  health.lag('raw', 0, 700)
  health.lag('raw', 1, 500)
  time.advance(89_000)
  assert.equal(health.problem(), undefined, 'not yet the stall time since the lag appeared')
  time.advance(1_000)
  assert.equal(health.problem(), 'stalled: lag 1200 on raw 0,1, no progress for 90s')

  health.progressed()
  assert.equal(health.problem(), undefined, 'progress resets the clock')
  time.advance(120_000)
  assert.equal(health.problem(), 'stalled: lag 1200 on raw 0,1, no progress for 120s')

  // Caught up: no lag, so no stall however long since the last progress.
  health.lag('raw', 0, 0)
  health.lag('raw', 1, 0)
  time.advance(600_000)
  assert.equal(health.problem(), undefined)
})

test('pending records count as lag; partitions no longer assigned do not', () => {
  const time = clock()
  let pending = 0
  const health = new ConsumerHealth({
    stallAfterMs: 1000,
    now: time.now,
    pending: () => [{ topic: 'cleaned', partition: 1, records: pending }],
  })
  health.running()
  health.lag('cleaned', 0, 0)
  health.lag('cleaned', 3, 40)
  pending = 500
  assert.equal(health.totalLag(), 540)
  health.assigned({ cleaned: [0, 1] })
  assert.equal(health.totalLag(), 500, 'partition 3 went to another member')
  time.advance(1500)
  assert.equal(health.problem(), 'stalled: lag 500 on cleaned 1, no progress for 1s', 'records taken and not done name their partition')
  pending = 0
  assert.equal(health.problem(), undefined)
})

test('a crash makes the consumer not ready until it runs again; the text names the class and what happens next', () => {
  const health = new ConsumerHealth({ stallAfterMs: 1000 })
  health.running()
  health.stopped()
  assert.equal(health.problem(), 'stopped')
  health.crashed('KafkaJSProtocolError INCONSISTENT_GROUP_PROTOCOL', 'restart 1 of 5')
  health.stopped()
  assert.equal(
    health.problem(),
    'consumer crashed: KafkaJSProtocolError INCONSISTENT_GROUP_PROTOCOL, restart 1 of 5',
    'a crash is not hidden by the stop after it',
  )
  assert.equal(health.isRunning(), false)
  health.running()
  assert.equal(health.problem(), undefined)
  assert.equal(health.isRunning(), true)
})

test('a stall names the partitions behind (at most eight) and why the work fails, until progress clears it', () => {
  const time = clock()
  const seen: string[] = []
  const health = new ConsumerHealth({
    stallAfterMs: 1000,
    now: time.now,
    onLag: (topic, partition, records) => seen.push(`${topic}/${partition}=${records}`),
  })
  health.running()
  health.lag('raw.song', 2, 30)
  health.lag('raw.hashtag', 1, 10)
  health.lag('raw.hashtag', 0, 0)
  health.lag('raw.hashtag', 2, Number.NaN)
  assert.deepEqual(seen, ['raw.song/2=30', 'raw.hashtag/1=10', 'raw.hashtag/0=0', 'raw.hashtag/2=0'], 'the gauge hears every value')
  health.failing('transaction failing: CONCURRENT_TRANSACTIONS')
  time.advance(5000)
  assert.equal(
    health.problem(),
    'stalled: lag 40 on raw.hashtag 1; raw.song 2, no progress for 5s; transaction failing: CONCURRENT_TRANSACTIONS',
  )
  for (let partition = 0; partition < 12; partition++) health.lag('raw.video', partition, 1)
  assert.equal(
    health.problem(),
    'stalled: lag 52 on raw.hashtag 1; raw.song 2; raw.video 0,1,2,3,4,5 (+6 more), no progress for 5s; transaction failing: CONCURRENT_TRANSACTIONS',
  )
  health.crashed('KafkaJSProtocolError CONCURRENT_TRANSACTIONS', 'kafkajs restarts it')
  health.running()
  time.advance(1000)
  assert.match(health.problem() ?? '', /no progress for 6s; transaction failing: CONCURRENT_TRANSACTIONS$/, 'a rejoin is not progress')
  health.progressed()
  time.advance(1000)
  assert.equal(health.problem(), 'stalled: lag 52 on raw.hashtag 1; raw.song 2; raw.video 0,1,2,3,4,5 (+6 more), no progress for 1s')
})

test('a consumer that crashes and rejoins over and over, doing nothing, reads stalled while it runs, not ready between crashes', () => {
  const time = clock()
  const health = new ConsumerHealth({ stallAfterMs: 90_000, now: time.now })
  health.running()
  health.lag('raw', 0, 5000)
  const whileRunning: Array<string | undefined> = []
  for (let round = 0; round < 10; round++) {
    time.advance(25_000)
    whileRunning.push(health.problem())
    health.crashed('TypeError at services/normalizer/src/pipeline.ts:120', 'kafkajs restarts it')
    assert.match(health.problem() ?? '', /^consumer crashed: TypeError/)
    time.advance(5_000)
    health.running()
  }
  assert.deepEqual(whileRunning.slice(0, 3), [undefined, undefined, undefined], 'within the stall time, running is ready')
  assert.equal(whileRunning[3], 'stalled: lag 5000 on raw 0, no progress for 115s')
  assert.ok(
    whileRunning.slice(3).every((problem) => problem?.startsWith('stalled: lag 5000')),
    'every later round reads stalled while it runs',
  )
  health.progressed()
  assert.equal(health.problem(), undefined, 'work done clears it')
})
