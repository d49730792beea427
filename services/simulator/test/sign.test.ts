import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fold16, userSign } from '../src/sign.ts'
import { REQUEST_ID_PATTERN } from '../src/request-id.ts'
import { ANONYMOUS_ID, legacyGet, legacyList, NOW, PATHS, post, signed, startSimulator } from './helpers.ts'

test('user-sign reproduces the 2025-01-03 browser capture (X = web-id)', () => {
  assert.equal(userSign('7455517281448216080', '1735873979'), '445f42e170cfe7f9')
  assert.equal(fold16('0123456789abcdef0123456789abcdef'), '0000000000000000')
  assert.equal(fold16('ffffffffffffffff0000000000000000'), 'ffffffffffffffff')
})

test('a valid anonymous-user-id signature gets data; missing or wrong ones get 40101', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const ok = await legacyGet(url, PATHS.hashtags, { limit: 5 })
  assert.equal(ok.body['code'], 0)
  assert.equal(legacyList(ok, 'list').length, 5)

  const refusals = {
    missing: {},
    'no sign': { 'anonymous-user-id': ANONYMOUS_ID, timestamp: String(Math.floor(NOW / 1000)) },
    'wrong sign': { ...signed(), 'user-sign': '0123456789abcdef' },
    'upper-case sign': { ...signed(), 'user-sign': (signed()['user-sign'] ?? '').toUpperCase() },
    'other user id': { ...signed(), 'anonymous-user-id': 'someone-else' },
    'stale timestamp': signed(NOW - 601_000),
    'future timestamp': signed(NOW + 601_000),
    'millisecond timestamp': { ...signed(), timestamp: String(NOW) },
  }
  for (const [name, headers] of Object.entries(refusals)) {
    const response = await legacyGet(url, PATHS.hashtags, {}, headers)
    assert.equal(response.status, 200, name)
    assert.equal(response.body['code'], 40101, name)
    assert.equal(response.body['msg'], 'no permission', name)
    assert.equal(response.body['data'], null, name)
    assert.match(String(response.body['request_id']), REQUEST_ID_PATTERN, name)
  }
  const withinSkew = await legacyGet(url, PATHS.creators, {}, signed(NOW - 599_000))
  assert.equal(withinSkew.body['code'], 0)
})

test('with a web-id header the signature is over the web-id, not the UUID', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const webId = '7455517281448216080'
  const overWebId = await legacyGet(url, PATHS.videos, { limit: 3 }, signed(NOW, webId))
  assert.equal(overWebId.body['code'], 0)
  assert.equal(legacyList(overWebId, 'videos').length, 3)
  const overUuid = await legacyGet(url, PATHS.videos, {}, { ...signed(NOW), 'web-id': webId })
  assert.equal(overUuid.body['code'], 40101)
})

test('every legacy endpoint checks the signature; the new API needs none', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  for (const path of [PATHS.hashtags, PATHS.sounds, PATHS.creators, PATHS.videos, PATHS.keywords]) {
    assert.equal((await legacyGet(url, path, {}, {})).body['code'], 40101, path)
  }
  const open = await post(url, PATHS.hashtagList, { timeRange: 7, countryCode: 'US', page: 1, limit: 20 })
  assert.deepEqual(open.body['BaseResp'], { StatusCode: 0, StatusMessage: '' })
})
