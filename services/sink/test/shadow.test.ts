import { test } from 'node:test'
import assert from 'node:assert/strict'
import { topicsFor } from '@trends/kafka'
import { shadowLeaveOut, shadowRoutes, shadowTopics } from '../src/shadow.ts'
import { parseSwapClaim, swapDone, swapFence } from '../src/swap-claims.ts'

const live = topicsFor('t')
const routes = shadowRoutes(live, shadowTopics('t'))
const route = (topic: string) => routes.find((r) => r.topic === topic)!
const RAW = 't.raw.hashtags'

test('a shadow sink reads every live topic following the live ledger, and the shadow normalizer topics on its own', () => {
  assert.deepEqual(
    routes.map((r) => [r.topic, r.table, r.follow === true]),
    [
      ['t.trends.cleaned', 'trend_observations', true],
      ['t.fetch-log', 'fetch_log', true],
      ['t.dead-letters', 'dead_letters_intake', true],
      ['t.trends.signals', 'trend_signals', true],
      ['t.shadow.trends.cleaned', 'trend_observations', false],
      ['t.shadow.dead-letters', 'dead_letters_intake', false],
    ],
  )
  assert.deepEqual(
    shadowRoutes(live, undefined).map((r) => r.topic),
    ['t.trends.cleaned', 't.fetch-log', 't.dead-letters', 't.trends.signals'],
    'a rollback or a sink-stage replay reads the live topics only',
  )
})

test('what the raw topics held when the replay began comes from the shadow topics, the rest from the live ones', () => {
  const leaveOut = shadowLeaveOut({ [`${RAW}:0`]: '100', [`${RAW}:1`]: '5' })
  const observation = (partition: number, offset: number) => ({ source_topic: RAW, source_partition: partition, source_offset: offset })
  const liveCleaned = route('t.trends.cleaned')
  const shadowCleaned = route('t.shadow.trends.cleaned')
  assert.equal(leaveOut(liveCleaned, observation(0, 99)), true, 'reprocessed: the live version is left out')
  assert.equal(leaveOut(shadowCleaned, observation(0, 99)), false, 'and the shadow version kept')
  assert.equal(leaveOut(liveCleaned, observation(0, 100)), false, 'after the replay began: the live version is kept')
  assert.equal(leaveOut(shadowCleaned, observation(0, 100)), true, 'and the shadow normalizer’s left out')
  assert.equal(leaveOut(liveCleaned, observation(1, 7)), false, 'each partition by its own end')
  assert.equal(leaveOut(liveCleaned, observation(2, 0)), false, 'a partition made after the replay began: all live')
  assert.equal(leaveOut(shadowCleaned, observation(2, 0)), true)

  const letter = (stage: string, offset: string | null) => ({ stage, source_topic: RAW, source_partition: 0, source_offset: offset })
  const liveLetters = route('t.dead-letters')
  const shadowLetters = route('t.shadow.dead-letters')
  assert.equal(leaveOut(liveLetters, letter('normalizer', '3')), true, "the old normalizer's dead letter of a reprocessed record")
  assert.equal(leaveOut(shadowLetters, letter('normalizer', '3')), false, "the new normalizer's")
  assert.equal(leaveOut(liveLetters, letter('producer', null)), false, 'other stages’ dead letters are kept')
  assert.equal(leaveOut(shadowLetters, letter('sink', '3')), false, 'as are the shadow sink’s own')
  assert.equal(leaveOut(route('t.fetch-log'), { source_topic: RAW, source_partition: 0, source_offset: 1 }), false)
  assert.equal(shadowLeaveOut(undefined)(liveCleaned, observation(0, 1)), false, 'a sink-stage replay leaves nothing out')
})

test('swap claims name the swap, and the done claim where the swapped-in ledger ends', () => {
  assert.deepEqual(parseSwapClaim(swapFence('ab12')), { kind: 'fence', id: 'ab12' })
  assert.deepEqual(parseSwapClaim(swapDone('ab12', 42n)), { kind: 'done', id: 'ab12', resumeAt: 42n })
  assert.deepEqual(parseSwapClaim(swapDone('ab12', undefined)), { kind: 'done', id: 'ab12', resumeAt: undefined })
  assert.equal(parseSwapClaim('5f0c6b7e-sink-owner'), undefined)
  assert.equal(parseSwapClaim(undefined), undefined)
})
