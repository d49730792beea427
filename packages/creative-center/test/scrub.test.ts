import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { createScrubber, secretForms, SCRUBBED } from '../src/scrub.ts'
import { readCreativeCenterSettings } from '../src/settings.ts'

const COOKIE = 'sessionid_ads=9f8e7d6c5b4a; sid_tt_ads=a b/c=d; lang_type=en; tt_csrf_token=Zx_81-qq'

test('every spelling of the session goes: whole header, pairs, values, URL-encoded, JSON-escaped', () => {
  const scrub = createScrubber(secretForms(COOKIE, ['csrf-TOKEN-777']))
  const echoes = [
    COOKIE,
    encodeURIComponent(COOKIE),
    'sessionid_ads=9f8e7d6c5b4a',
    '9f8e7d6c5b4a',
    'a b/c=d',
    'a%20b%2Fc%3Dd',
    'a%20b%2fc%3dd',
    'a+b%2Fc%3Dd',
    'Zx_81-qq',
    'csrf-TOKEN-777',
  ]
  for (const echo of echoes) {
    const out = scrub(`{"msg":"rejected ${echo} here"}`)
    assert.equal(out, `{"msg":"rejected ${SCRUBBED} here"}`, echo)
  }
  const json = JSON.stringify({ cookie: 'x"9f8e7d6c5b4a\\' })
  assert.doesNotMatch(scrub(json), /9f8e7d6c5b4a/)
  // Short values are not secrets; replacing them would garble ordinary text.
  assert.equal(scrub('lang_type=en and the word en'), 'lang_type=en and the word en')
  assert.equal(scrub('{"code":0,"data":{"list":[]}}'), '{"code":0,"data":{"list":[]}}')
})

test('no cookie, no work: the text is returned as it is', () => {
  const scrub = createScrubber(secretForms(undefined))
  const text = 'anything at all'
  assert.equal(scrub(text), text)
  assert.deepEqual(secretForms(undefined), [])
})

test('a 1 MiB body with a ten-cookie session is scrubbed in milliseconds', () => {
  const cookie = Array.from({ length: 10 }, (_, i) => `cookie_${i}=${'v'.repeat(20)}${i}`).join('; ')
  const scrub = createScrubber(secretForms(cookie))
  const body = `{"data":{"list":[${Array.from({ length: 5000 }, (_, i) => `{"id":"${i}","name":"${'n'.repeat(180)}"}`).join(',')}]}}`
  assert.ok(body.length > 1_000_000)
  const started = performance.now()
  for (let i = 0; i < 10; i++) assert.equal(scrub(body), body)
  const ms = (performance.now() - started) / 10
  assert.ok(ms < 50, `${ms.toFixed(2)} ms per body`)
})

test('CC_CSRF_TOKEN: printable without spaces, else a problem at start-up', () => {
  const ok = readEnv({ CC_CSRF_TOKEN: 'abc-123_XYZ' })
  assert.equal(readCreativeCenterSettings(ok).csrfToken, 'abc-123_XYZ')
  ok.done()
  const bad = readEnv({ CC_CSRF_TOKEN: 'two words' })
  assert.equal(readCreativeCenterSettings(bad).csrfToken, undefined)
  assert.throws(() => bad.done(), /CC_CSRF_TOKEN: set the token as the browser sends it/)
})
