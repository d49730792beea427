import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  addFault,
  get,
  legacyGet,
  legacyList,
  legacyPagination,
  obj,
  objects,
  PATHS,
  post,
  query,
  signed,
  startSimulator,
  type Obj,
} from './helpers.ts'
import { rawGet } from './raw-http.ts'

const LOGGED_IN = { cookie: 'sessionid_ads=abc' }

test('rate-limit: HTTP 429 with Retry-After (default 1)', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'rate-limit', path: PATHS.hashtags, count: 1, retryAfterSeconds: 7 })
  const limited = await legacyGet(url, PATHS.hashtags)
  assert.equal(limited.status, 429)
  assert.equal(limited.headers.get('retry-after'), '7')
  assert.match(limited.text, /429 Too Many Requests/)
  await addFault(url, { fault: 'rate-limit', path: PATHS.hashtagList, count: 1 })
  const defaulted = await post(url, PATHS.hashtagList, { timeRange: 7 })
  assert.equal(defaulted.status, 429)
  assert.equal(defaulted.headers.get('retry-after'), '1')
})

test('server-error and unavailable: HTTP 500 and 503 with HTML bodies', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'server-error', count: 1 })
  await addFault(url, { fault: 'unavailable', count: 1 })
  const first = await legacyGet(url, PATHS.sounds)
  assert.equal(first.status, 500)
  assert.match(first.headers.get('content-type') ?? '', /^text\/html/)
  const second = await get(url, PATHS.overview)
  assert.equal(second.status, 503)
  assert.match(second.text, /503 Service/)
  assert.equal((await get(url, PATHS.overview)).status, 200, 'both rules are used up')
})

test('slow-headers: the status line comes after delayMs, then a normal answer', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'slow-headers', path: PATHS.creators, delayMs: 400 })
  const started = performance.now()
  const slow = await legacyGet(url, PATHS.creators, { limit: 5 })
  const waited = performance.now() - started
  assert.ok(waited >= 390, `waited ${waited} ms`)
  assert.equal(slow.body['code'], 0)
  assert.equal(legacyList(slow, 'creators').length, 5)
  const quick = performance.now()
  assert.equal((await legacyGet(url, PATHS.videos)).body['code'], 0)
  assert.ok(performance.now() - quick < 300, 'other paths are not slowed')
})

test('drip-body: headers at once, then the whole normal body spread over delayMs', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'drip-body', path: PATHS.creators, delayMs: 800 })
  const started = performance.now()
  const slow = await legacyGet(url, PATHS.creators, { limit: 5 })
  const waited = performance.now() - started
  assert.ok(waited >= 750, `took ${waited} ms`)
  assert.equal(slow.body['code'], 0)
  assert.equal(legacyList(slow, 'creators').length, 5)
})

test('truncated-body: full Content-Length, half the body, then the socket is destroyed', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const path = `${PATHS.hashtags}${query({ limit: 50 })}`
  const full = await rawGet(url, path, signed())
  assert.equal(full.error, undefined)
  await addFault(url, { fault: 'truncated-body', path: PATHS.hashtags, count: 2 })
  const cut = await rawGet(url, path, signed())
  assert.equal(cut.status, 200)
  const length = Number(cut.headers['content-length'])
  assert.equal(length, full.received.length, 'Content-Length announces the full body')
  assert.equal(cut.received.length, Math.floor(length / 2))
  assert.ok(cut.error !== undefined, 'the response ends in an error')
  await assert.rejects(
    fetch(`${url}${path}`, { headers: signed() }).then((r) => r.text()),
    'fetch sees it too',
  )
})

test('invalid-json: HTTP 200 application/json, a cut body that does not parse, no Content-Length lie', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const body = { timeRange: 7, countryCode: 'US', page: 1, limit: 20 }
  const normal = await post(url, PATHS.hashtagList, body, LOGGED_IN)
  await addFault(url, { fault: 'invalid-json', path: PATHS.hashtagList, count: 3 })
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${url}${PATHS.hashtagList}`, { method: 'POST', body: JSON.stringify(body), headers: LOGGED_IN })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
    const text = await response.text()
    assert.equal(Number(response.headers.get('content-length')), Buffer.byteLength(text))
    assert.ok(text.length > 0 && text.length < normal.text.length)
    assert.ok(normal.text.startsWith(text), 'a prefix of the real body')
    assert.throws(() => JSON.parse(text) as unknown, SyntaxError)
  }
})

test('captcha: HTTP 200 HTML with the captcha container and verification_required', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'captcha', count: 1 })
  const page = await legacyGet(url, PATHS.keywords)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
  assert.match(page.text, /<div id="captcha_container"/)
  assert.match(page.text, /verification_required/)
})

test('no-permission, deprecated and invalid-login: the documented error envelopes', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'no-permission', path: PATHS.hashtags, count: 1 })
  const denied = await legacyGet(url, PATHS.hashtags)
  assert.deepEqual({ ...denied.body, request_id: '' }, { code: 40101, msg: 'no permission', request_id: '', data: null })
  await addFault(url, { fault: 'deprecated', path: PATHS.sounds, count: 1 })
  const gone = await legacyGet(url, PATHS.sounds)
  assert.deepEqual({ ...gone.body, request_id: '' }, { code: 0, msg: 'deprecated', request_id: '', data: {} })
  assert.match(gone.text, /^\{"code":0,"msg":"deprecated","request_id":"\d{14}[0-9A-F]{20}","data":\{\}\}$/)
  await addFault(url, { fault: 'invalid-login', path: PATHS.hashtagList, count: 1 })
  const login = await post(url, PATHS.hashtagList, { timeRange: 7 }, LOGGED_IN)
  assert.equal(login.text, '{"BaseResp":{"StatusCode":38001001,"StatusMessage":"InvalidLogin"}}')
})

const RENAMES = [
  { path: PATHS.hashtags, list: 'list', from: 'hashtag_id', to: 'hashtagId' },
  { path: PATHS.sounds, list: 'sound_list', from: 'clip_id', to: 'clipId' },
  { path: PATHS.creators, list: 'creators', from: 'tcm_id', to: 'tcmId' },
  { path: PATHS.videos, list: 'videos', from: 'item_id', to: 'itemId' },
  { path: PATHS.keywords, list: 'keyword_list', from: 'keyword', to: 'keyword_text' },
]

test('renamed-field: every list renames its id field', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  for (const rename of RENAMES) {
    await addFault(url, { fault: 'renamed-field', path: rename.path, count: 1 })
    const items = legacyList(await legacyGet(url, rename.path), rename.list)
    assert.equal(items.length, 20)
    assert.ok(
      items.every((item) => item[rename.to] !== undefined && !(rename.from in item)),
      rename.path,
    )
  }
  const videos = legacyList(await legacyGet(url, PATHS.videos), 'videos')
  assert.ok(
    videos.every((video) => typeof video['id'] === 'string'),
    'the rule was used up',
  )
  await addFault(url, { fault: 'renamed-field', path: PATHS.videos, count: 1 })
  assert.ok(
    legacyList(await legacyGet(url, PATHS.videos), 'videos').every((video) => !('id' in video)),
    'videos also lose id',
  )

  await addFault(url, { fault: 'renamed-field', path: PATHS.hashtagList, count: 1 })
  const tags = objects((await post(url, PATHS.hashtagList, { timeRange: 7 })).body['items'])
  assert.ok(tags.length === 3 && tags.every((tag) => typeof tag['hashtagId'] === 'string' && !('hashtagID' in tag)))
  await addFault(url, { fault: 'renamed-field', path: PATHS.contents, count: 1 })
  const contents = objects((await get(url, PATHS.contents)).body['entityInfos'])
  assert.ok(
    contents.length === 20 && contents.every((entity) => 'itemId' in obj(entity['itemInfo']) && !('itemID' in obj(entity['itemInfo']))),
  )
})

test('missing-field: exactly one item loses its id field', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const lacking = (items: Obj[], has: (item: Obj) => boolean): number => items.filter((item) => !has(item)).length
  await addFault(url, { fault: 'missing-field', path: PATHS.hashtags, count: 1 })
  const tags = legacyList(await legacyGet(url, PATHS.hashtags), 'list')
  assert.equal(
    lacking(tags, (item) => 'hashtag_id' in item),
    1,
  )
  assert.ok(
    tags.every((item) => typeof item['hashtag_name'] === 'string'),
    'the rest of the item stays',
  )
  await addFault(url, { fault: 'missing-field', path: PATHS.videos, count: 1 })
  const videos = legacyList(await legacyGet(url, PATHS.videos), 'videos')
  assert.equal(
    lacking(videos, (item) => 'item_id' in item || 'id' in item),
    1,
  )
  await addFault(url, { fault: 'missing-field', path: PATHS.contents, count: 1 })
  const contents = objects((await get(url, PATHS.contents)).body['entityInfos'])
  assert.equal(
    lacking(contents, (entity) => 'itemID' in obj(entity['itemInfo'])),
    1,
  )
})

test('missing-list: a success envelope without the list key', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'missing-list', path: PATHS.creators, count: 1 })
  const legacy = await legacyGet(url, PATHS.creators)
  assert.equal(legacy.body['code'], 0)
  assert.deepEqual(Object.keys(obj(legacy.body['data'])), ['pagination'])
  assert.equal(legacyPagination(legacy)['total'], 459)
  await addFault(url, { fault: 'missing-list', path: PATHS.hashtagList, count: 1 })
  const fresh = await post(url, PATHS.hashtagList, { timeRange: 7 })
  assert.deepEqual(Object.keys(fresh.body), ['BaseResp', 'pagination'])
  assert.equal(obj(fresh.body['BaseResp'])['StatusCode'], 0)
})

test('connection-reset: the socket closes with no response at all', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'connection-reset', path: PATHS.overview, count: 1 })
  const raw = await rawGet(url, PATHS.overview)
  assert.equal(raw.status, undefined)
  assert.equal(raw.received.length, 0)
  assert.match(raw.error === undefined ? '' : String((raw.error as NodeJS.ErrnoException).code), /ECONNRESET/)
  await addFault(url, { fault: 'connection-reset', path: PATHS.overview, count: 1 })
  await assert.rejects(fetch(`${url}${PATHS.overview}`), TypeError)
  assert.equal((await get(url, PATHS.overview)).status, 200)
})

test('raw-body: HTTP 200 application/json carrying exactly the given bytes, valid UTF-8 or not', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const bytes = Buffer.concat([Buffer.from('\uFEFF{"code":0,"msg":"caf'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])
  await addFault(url, { fault: 'raw-body', path: PATHS.hashtags, count: 1, bodyBase64: bytes.toString('base64') })
  const raw = await rawGet(url, `${PATHS.hashtags}${query({ period: 7 })}`, signed())
  assert.equal(raw.status, 200)
  assert.match(String(raw.headers['content-type']), /^application\/json/)
  assert.equal(raw.headers['content-length'], String(bytes.length))
  assert.ok(raw.received.equals(bytes), 'the bytes are served unchanged')
  assert.equal(legacyList(await legacyGet(url, PATHS.hashtags), 'list').length > 0, true, 'the rule is used up')
})

test('huge-item: one item gains a padding field of the given size', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'huge-item', path: PATHS.creators, count: 1, bytes: 300_000 })
  const creators = legacyList(await legacyGet(url, PATHS.creators), 'creators')
  const padded = creators.filter((item) => 'padding' in item)
  assert.equal(padded.length, 1)
  assert.equal(String(padded[0]?.['padding']), 'x'.repeat(300_000))
  assert.ok(
    creators.every((item) => typeof item['tcm_id'] === 'string'),
    'every item keeps its fields',
  )
})

test('echo-cookie: an error envelope repeating the Cookie header and the CSRF token back', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const cookie = 'sessionid_ads=abc123def; sid_tt_ads=x y'
  await addFault(url, { fault: 'echo-cookie', path: PATHS.hashtags, count: 1 })
  const legacy = await legacyGet(url, PATHS.hashtags, {}, { ...signed(), cookie })
  assert.equal(legacy.body['code'], 40100)
  assert.equal(legacy.body['msg'], `session rejected: cookie ${cookie} (${encodeURIComponent(cookie)})`)
  assert.deepEqual(obj(legacy.body['data'])['request'], { cookie, cookie_encoded: encodeURIComponent(cookie), csrf_token: '' })
  await addFault(url, { fault: 'echo-cookie', path: PATHS.hashtagList, count: 1 })
  const fresh = await post(url, PATHS.hashtagList, { timeRange: 7 }, { cookie, 'x-secsdk-csrf-token': 'tok-1' })
  assert.deepEqual(fresh.body['BaseResp'], {
    StatusCode: 40100,
    StatusMessage: `session rejected: cookie ${cookie} (${encodeURIComponent(cookie)}) csrf tok-1`,
  })
  assert.equal(obj(fresh.body['request'])['csrf_token'], 'tok-1')
  assert.equal(legacyList(await legacyGet(url, PATHS.hashtags), 'list').length > 0, true, 'the rule is used up')
})

test('echo-cookie-item: one item loses its id and carries the session it was asked with', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const cookie = 'sessionid_ads=abc123def'
  await addFault(url, { fault: 'echo-cookie-item', path: PATHS.creators, count: 1 })
  const creators = legacyList(await legacyGet(url, PATHS.creators, {}, { ...signed(), cookie }), 'creators')
  const echoed = creators.filter((item) => 'session' in item)
  assert.equal(echoed.length, 1)
  assert.equal(echoed[0]?.['tcm_id'], undefined)
  assert.equal(obj(echoed[0]?.['session'])['cookie'], cookie)
  assert.equal(creators.filter((item) => typeof item['tcm_id'] === 'string').length, creators.length - 1)
})
