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
