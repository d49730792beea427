import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { classifyResponse } from '../src/classify.ts'
import { findEndpoint, type EndpointDef } from '../src/endpoints.ts'

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')

function endpoint(name: string): EndpointDef {
  const found = findEndpoint(name)
  assert.ok(found, name)
  return found
}

const LEGACY = endpoint('hashtags-legacy')
const NEW = endpoint('hashtags-creative-one')
const JSON_TYPE = 'application/json; charset=utf-8'

function failure(classified: ReturnType<typeof classifyResponse>): Extract<ReturnType<typeof classifyResponse>, { kind: 'error' }> {
  if (classified.kind !== 'error') assert.fail(`expected an error, got ${classified.items.length} items`)
  return classified
}

test('a legacy page: items carry their exact text, string ids, the request id and pagination', () => {
  const text = fixture('legacy-hashtags.json')
  const result = classifyResponse(LEGACY, 200, JSON_TYPE, text, 1)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.equal(result.requestId, '20260312081544A1B2C3D4E5F6A7B8C9D0')
  assert.deepEqual(result.pagination, { page: 1, size: 20, total: 100, hasMore: true })
  assert.deepEqual(
    result.items.map((item) => [item.position, item.id]),
    [
      [0, '1658723914285062'],
      [1, '7383227119714238469'],
    ],
  )
  for (const item of result.items) assert.ok(text.includes(item.raw), 'raw is a slice of the body')
  assert.match(result.items[1]?.raw ?? '', /"item_id":7603120458876214550/)
  assert.ok(result.items[0]?.raw.startsWith('{"hashtag_id":"1658723914285062"'))
})

test('a Creative One page: the BaseResp envelope, camelCase pagination', () => {
  const result = classifyResponse(NEW, 200, JSON_TYPE, fixture('creative-one-hashtags.json'), 1)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.equal(result.items[0]?.id, '7383227119714238469')
  assert.deepEqual(result.pagination, { page: 1, size: 3, total: 3, hasMore: false })
})

test('the documented error bodies each get their own name and are not retryable', () => {
  const cases: Array<[EndpointDef, string, string]> = [
    [LEGACY, '{"code":40101,"msg":"no permission","request_id":"20260803101010ABCDEF0123456789ABCD","data":null}', 'CC_NO_PERMISSION'],
    [LEGACY, '{"code":0,"msg":"deprecated","request_id":"20260803101011ABCDEF0123456789ABCE","data":{}}', 'CC_DEPRECATED'],
    [LEGACY, '{"code":0,"msg":"deprecated"}', 'CC_DEPRECATED'],
    [NEW, '{"BaseResp":{"StatusCode":38001001,"StatusMessage":"InvalidLogin"}}', 'CC_LOGIN_REQUIRED'],
    [LEGACY, '{"code":50002,"msg":"system busy","data":null}', 'CC_API_ERROR'],
    [LEGACY, '{"code":0,"msg":"OK","data":{"pagination":{}}}', 'CC_MISSING_LIST'],
    [LEGACY, '{"code":0,"msg":"OK","data":null}', 'CC_MISSING_LIST'],
    [LEGACY, '{"code":0,"msg":"OK","data":{"list":[],"pagination":{"page":1}}}', 'CC_EMPTY_CHART'],
    [LEGACY, '{"code":0,"msg":"OK","data":{"list":[{"hashtagId":"1"},{"hashtagId":"2"}]}}', 'CC_SCHEMA_DRIFT'],
    [LEGACY, '{"status":"ok","list":[]}', 'CC_SCHEMA_DRIFT'],
    [LEGACY, '{"code":0,"msg":"OK","data":{"list":[{"hashtag_id":"1"', 'CC_INVALID_JSON'],
  ]
  for (const [def, body, code] of cases) {
    const result = failure(classifyResponse(def, 200, JSON_TYPE, body, 1))
    assert.equal(result.code, code, body)
    assert.equal(result.retryable, false, body)
  }
})

test('HTML: a captcha page is named as such; another page is not JSON', () => {
  const captcha = '<html><body><div id="captcha_container"></div><script>state="verification_required"</script></body></html>'
  assert.equal(failure(classifyResponse(LEGACY, 200, 'text/html', captcha, 1)).code, 'CC_CAPTCHA')
  assert.equal(failure(classifyResponse(LEGACY, 200, 'text/html', '<html>maintenance</html>', 1)).code, 'CC_INVALID_JSON')
  assert.equal(failure(classifyResponse(LEGACY, 404, 'text/html', '<html>not found</html>', 1)).code, 'CC_HTTP_ERROR')
})

test('429 and 5xx are transient; other 4xx are not', () => {
  const limited = failure(classifyResponse(LEGACY, 429, JSON_TYPE, '', 1))
  assert.deepEqual([limited.code, limited.retryable], ['CC_RATE_LIMITED', true])
  for (const status of [500, 502, 503]) {
    const server = failure(classifyResponse(LEGACY, status, JSON_TYPE, '', 1))
    assert.deepEqual([server.code, server.retryable], ['CC_SERVER_ERROR', true])
  }
  const forbidden = failure(classifyResponse(LEGACY, 403, JSON_TYPE, '{}', 1))
  assert.deepEqual([forbidden.code, forbidden.retryable], ['CC_HTTP_ERROR', false])
})

test('one item without its id is kept as such (the caller dead-letters it); the page is fine', () => {
  const body =
    '{"code":0,"msg":"OK","data":{"list":[{"hashtag_id":"1"},{"hashtag_name":"no id"}],"pagination":{"page":2,"size":2,"total":4,"has_more":false}}}'
  const result = classifyResponse(LEGACY, 200, JSON_TYPE, body, 2)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.deepEqual(
    result.items.map((item) => item.id),
    ['1', undefined],
  )
})

test('an empty list after page 1 is the end of the chart, not an error', () => {
  const body = '{"code":0,"msg":"OK","data":{"list":[],"pagination":{"page":6,"size":20,"total":100,"has_more":false}}}'
  const result = classifyResponse(LEGACY, 200, JSON_TYPE, body, 6)
  assert.equal(result.kind, 'ok')
})

const DEEP = '['.repeat(100_000) + ']'.repeat(100_000)
const ITEM = (id: string) => `{"hashtag_id":"${id}","hashtag_name":"tag${id}","rank":${id}}`
const legacyPage = (items: string[], extra = '') =>
  `{"code":0,"msg":"OK","request_id":"20260312081544A1B2C3D4E5F6A7B8C9D0"${extra},"data":{"list":[${items.join(',')}],"pagination":{"page":1,"size":3,"total":3,"has_more":false}}}`

test('100,000-deep JSON in the envelope fails the page with CC_JSON_TOO_DEEP (no RangeError)', () => {
  const cases: Array<[EndpointDef, string]> = [
    [LEGACY, DEEP],
    [LEGACY, `{"code":0,"msg":${DEEP},"data":{"list":[${ITEM('1')}]}}`],
    [LEGACY, `{"code":40101,"msg":${DEEP},"data":null}`],
    [NEW, `{"BaseResp":{"StatusCode":1,"StatusMessage":${DEEP}}}`],
    [LEGACY, legacyPage([ITEM('1')]).replace('"pagination":{', `"pagination":{"deep":${DEEP},`)],
  ]
  for (const [def, body] of cases) {
    const result = failure(classifyResponse(def, 200, JSON_TYPE, body, 1))
    assert.equal(result.code, 'CC_JSON_TOO_DEEP', body.slice(0, 60))
    assert.equal(result.retryable, false)
  }
})

test('100,000-deep JSON inside one item refuses only that item; the others keep their exact text and values', () => {
  // A bare 64-bit id elsewhere on the page takes the parse through the (recursive) big-integer reviver.
  const deepItem = `{"hashtag_id":"2","hashtag_name":"deep","trend":${DEEP}}`
  const bigId = '{"hashtag_id":"3","hashtag_name":"big","related":[{"item_id":7603120458876214550}]}'
  const text = legacyPage([ITEM('1'), deepItem, bigId])
  const result = classifyResponse(LEGACY, 200, JSON_TYPE, text, 1)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.deepEqual(
    result.items.map((item) => [item.position, item.id, item.refused?.code]),
    [
      [0, '1', undefined],
      [1, undefined, 'CC_JSON_TOO_DEEP'],
      [2, '3', undefined],
    ],
  )
  assert.equal(result.items[1]?.raw, deepItem, 'the refused item keeps its exact text')
  assert.equal(result.items[1]?.value, null)
  assert.equal(result.items[2]?.raw, bigId)
  assert.deepEqual(result.items[2]?.value, { hashtag_id: '3', hashtag_name: 'big', related: [{ item_id: '7603120458876214550' }] })
  assert.equal(result.pagination.total, 3)
})

test('a page whose every item is refused is no schema drift: each item goes to the dead letters', () => {
  const result = classifyResponse(LEGACY, 200, JSON_TYPE, legacyPage([`{"trend":${DEEP}}`, '{"a":1,"a":2}']), 1)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.deepEqual(
    result.items.map((item) => item.refused?.code),
    ['CC_JSON_TOO_DEEP', 'CC_DUPLICATE_KEY'],
  )
})

test('a leading UTF-8 BOM is skipped: the page reads as without it, item text unchanged', () => {
  const text = fixture('legacy-hashtags.json')
  const plain = classifyResponse(LEGACY, 200, JSON_TYPE, text, 1)
  const withBom = classifyResponse(LEGACY, 200, JSON_TYPE, `\uFEFF${text}`, 1)
  assert.equal(withBom.kind, 'ok')
  assert.ok(plain.kind === 'ok' && withBom.kind === 'ok')
  assert.deepEqual(
    withBom.items.map((item) => item.raw),
    plain.items.map((item) => item.raw),
  )
  assert.ok(!withBom.items.some((item) => item.raw.includes('\uFEFF')))
  // Only one, at the very start: a BOM anywhere else is not JSON.
  assert.equal(failure(classifyResponse(LEGACY, 200, JSON_TYPE, `\uFEFF\uFEFF${text}`, 1)).code, 'CC_INVALID_JSON')
})

test('a key twice: in the envelope the page fails, in one item only that item is refused', () => {
  const envelopes = [
    '{"code":0,"code":40101,"msg":"OK","data":{"list":[{"hashtag_id":"1"}]}}',
    '{"code":0,"msg":"OK","data":{"list":[{"hashtag_id":"1"}],"list":[]}}',
    '{"code":0,"c\\u006fde":40101,"msg":"OK","data":{"list":[{"hashtag_id":"1"}]}}',
    legacyPage([ITEM('1')]).replace('"has_more":false', '"has_more":false,"has_more":true'),
  ]
  for (const body of envelopes) assert.equal(failure(classifyResponse(LEGACY, 200, JSON_TYPE, body, 1)).code, 'CC_DUPLICATE_KEY', body)
  assert.equal(
    failure(classifyResponse(NEW, 200, JSON_TYPE, '{"BaseResp":{"StatusCode":0,"StatusCode":1},"list":[]}', 1)).code,
    'CC_DUPLICATE_KEY',
  )

  const twice = '{"hashtag_id":"2","hashtag_name":"first","hashtag_name":"second"}'
  const result = classifyResponse(LEGACY, 200, JSON_TYPE, legacyPage([ITEM('1'), twice, ITEM('3')]), 1)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.deepEqual(
    result.items.map((item) => [item.id, item.refused?.code]),
    [
      ['1', undefined],
      [undefined, 'CC_DUPLICATE_KEY'],
      ['3', undefined],
    ],
  )
  assert.equal(result.items[1]?.raw, twice)
})

test('anything a classifier did not foresee is CC_UNEXPECTED, never a throw', () => {
  const broken: EndpointDef = Object.defineProperty({ ...LEGACY }, 'listPath', {
    get() {
      throw new TypeError('a bug')
    },
  })
  const result = failure(classifyResponse(broken, 200, JSON_TYPE, legacyPage([ITEM('1')]), 1))
  assert.equal(result.code, 'CC_UNEXPECTED')
  assert.match(result.message, /TypeError/)
})

test('a Report API page reads its items as entityInfos or wrapped as results.entityInfos, with the pagination beside them', () => {
  const report = endpoint('videos-creative-one')
  const entity = (id: string) =>
    `{"itemInfo":{"itemID":${id},"authorID":"7506219246691926062","title":"t"},"itemMetrics":{"videoViews":"1200"}}`
  const plain = `{"BaseResp":{"StatusCode":0,"StatusMessage":"Success"},"entityInfos":[${entity('7656166869774109983')}],"pagination":{"page":1,"limit":20,"totalCount":1,"hasMore":false}}`
  const wrapped = `{"BaseResp":{"StatusCode":0,"StatusMessage":"Success"},"results":{"entityInfos":[${entity('7656166869774109983')},${entity('"7656166869774109984"')}],"pagination":{"page":2,"limit":20,"totalCount":22,"hasMore":false}}}`
  for (const [text, ids, pagination] of [
    [plain, ['7656166869774109983'], { page: 1, size: 20, total: 1, hasMore: false }],
    [wrapped, ['7656166869774109983', '7656166869774109984'], { page: 2, size: 20, total: 22, hasMore: false }],
  ] as const) {
    const result = classifyResponse(report, 200, JSON_TYPE, text, 1)
    assert.equal(result.kind, 'ok', JSON.stringify(result))
    if (result.kind !== 'ok') continue
    assert.deepEqual(
      result.items.map((item) => item.id),
      ids,
      'the 19-digit ids exact, bare or quoted',
    )
    for (const item of result.items) assert.ok(text.includes(item.raw))
    assert.deepEqual(result.pagination, pagination)
  }
  const neither = failure(classifyResponse(report, 200, JSON_TYPE, '{"BaseResp":{"StatusCode":0},"pagination":{}}', 1))
  assert.equal(neither.code, 'CC_MISSING_LIST')
})

test('a request id that does not look like one (too long, other characters) is not kept; the page is read as usual', () => {
  const page = (id: string) =>
    classifyResponse(LEGACY, 200, JSON_TYPE, legacyPage([ITEM('1')]).replace('"20260312081544A1B2C3D4E5F6A7B8C9D0"', JSON.stringify(id)), 1)
  const kept = page('20260312081544A1B2C3D4E5F6A7B8C9D0')
  assert.ok(kept.kind === 'ok')
  assert.equal(kept.requestId, '20260312081544A1B2C3D4E5F6A7B8C9D0')
  for (const id of ['x'.repeat(3_000_000), 'a'.repeat(129), 'id with spaces', 'id\nnewline', '']) {
    const read = page(id)
    assert.equal(read.kind, 'ok', 'the page itself is fine')
    assert.equal(read.kind === 'ok' ? read.requestId : 'failed', undefined, `${JSON.stringify(id.slice(0, 20))}: not kept`)
  }
  const refused = classifyResponse(LEGACY, 200, JSON_TYPE, `{"code":40101,"msg":"no","request_id":"${'z'.repeat(200)}"}`, 1)
  assert.ok(refused.kind === 'error')
  assert.equal(refused.requestId, undefined)
})
