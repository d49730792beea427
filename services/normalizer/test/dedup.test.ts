import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DedupStore } from '../src/dedup.ts'

test('the same facts for the same key are a duplicate; changed facts are kept', () => {
  const store = new DedupStore({ ttlMs: 60_000, maxKeysPerShard: 100 })
  assert.equal(store.verdict('raw:0', 'hashtag:US:7:all:1|20000', 111), 'new')
  store.remember('raw:0', 'hashtag:US:7:all:1|20000', 111)
  assert.equal(store.verdict('raw:0', 'hashtag:US:7:all:1|20000', 111), 'duplicate')
  assert.equal(store.verdict('raw:0', 'hashtag:US:7:all:1|20000', 222), 'changed')
  assert.equal(store.verdict('raw:0', 'hashtag:US:7:all:1|20001', 111), 'new', 'another snapshot date is a new key')
})

test('nothing is marked seen until remembered (the output was committed)', () => {
  const store = new DedupStore({ ttlMs: 60_000, maxKeysPerShard: 100 })
  assert.equal(store.verdict('raw:0', 'k', 1), 'new')
  assert.equal(store.verdict('raw:0', 'k', 1), 'new')
  assert.equal(store.size(), 0)
})

test('entries expire after the TTL', () => {
  let now = 0
  const store = new DedupStore({ ttlMs: 1000, maxKeysPerShard: 100, now: () => now })
  store.remember('raw:0', 'k', 1)
  now = 999
  assert.equal(store.verdict('raw:0', 'k', 1), 'duplicate')
  now = 1001
  assert.equal(store.verdict('raw:0', 'k', 1), 'new')
  store.remember('raw:0', 'other', 2)
  assert.equal(store.size(), 1, 'the expired entry was swept on the next write')
})

test('a shard never exceeds its cap; the least recently written keys go first', () => {
  const store = new DedupStore({ ttlMs: 60_000, maxKeysPerShard: 3 })
  for (const key of ['a', 'b', 'c']) store.remember('raw:0', key, 1)
  store.remember('raw:0', 'a', 1) // a is now the most recent
  store.remember('raw:0', 'd', 1)
  assert.equal(store.size(), 3)
  assert.equal(store.verdict('raw:0', 'b', 1), 'new', 'b was the oldest and was evicted')
  assert.equal(store.verdict('raw:0', 'a', 1), 'duplicate')
  assert.equal(store.evictions, 1)
  for (let i = 0; i < 10_000; i++) store.remember('raw:1', `key-${i}`, i)
  assert.equal(store.size(), 6)
})

test('shards are per partition and a rebalance drops the ones no longer owned', () => {
  const store = new DedupStore({ ttlMs: 60_000, maxKeysPerShard: 100 })
  store.remember('raw:0', 'k', 1)
  store.remember('raw:1', 'k', 1)
  store.retain(new Set(['raw:1']))
  assert.equal(store.verdict('raw:0', 'k', 1), 'new')
  assert.equal(store.verdict('raw:1', 'k', 1), 'duplicate')
})
