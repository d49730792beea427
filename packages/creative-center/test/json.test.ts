import { test } from 'node:test'
import assert from 'node:assert/strict'
import { arrayElementSpans, parseJson, pathGet } from '../src/json.ts'

test('bare 64-bit integers keep every digit, as strings; ordinary numbers stay numbers', () => {
  const text = '{"related_items":[{"item_id":7603120458876214550,"cover_uri":"x"}],"rank":7,"value":0.62,"neg":-9223372036854775808}'
  const value = parseJson(text)
  assert.equal(pathGet(value, ['related_items']) !== undefined, true)
  const items = pathGet(value, ['related_items']) as Array<{ item_id: string }>
  assert.equal(items[0]?.item_id, '7603120458876214550')
  assert.equal(pathGet(value, ['rank']), 7)
  assert.equal(pathGet(value, ['value']), 0.62)
  assert.equal(pathGet(value, ['neg']), '-9223372036854775808')
  // What plain JSON.parse would have done:
  assert.notEqual(
    String((JSON.parse(text) as { related_items: Array<{ item_id: number }> }).related_items[0]?.item_id),
    '7603120458876214550',
  )
})

test('ids already sent as strings are untouched, and a big float is still a number', () => {
  const value = parseJson('{"hashtag_id":"1658723914285062","x":12345678901234567.5,"y":1e21}')
  assert.equal(pathGet(value, ['hashtag_id']), '1658723914285062')
  assert.equal(typeof pathGet(value, ['x']), 'number')
  assert.equal(pathGet(value, ['y']), 1e21)
})

test('array element spans are the exact source text of each element', () => {
  const text =
    '{ "code":0, "data" : { "pagination":{"page":1}, "list" : [ {"a":"x]}\\"","b":[1,{"c":2}]} ,\n' +
    '{"a":"🎵 émoji ‏עברית","big":7603120458876214550}, "s", 12, null ] } }'
  const spans = arrayElementSpans(text, ['data', 'list'])
  assert.ok(spans)
  assert.deepEqual(
    spans.map((span) => text.slice(span.start, span.end)),
    ['{"a":"x]}\\"","b":[1,{"c":2}]}', '{"a":"🎵 émoji ‏עברית","big":7603120458876214550}', '"s"', '12', 'null'],
  )
  // Each element's text parses to the same value as the element of the whole parse.
  const whole = pathGet(parseJson(text), ['data', 'list']) as unknown[]
  spans.forEach((span, i) => assert.deepEqual(parseJson(text.slice(span.start, span.end)), whole[i]))
})

test('spans: an empty array, a missing path, a path that is not an array', () => {
  assert.deepEqual(arrayElementSpans('{"items":[]}', ['items']), [])
  assert.equal(arrayElementSpans('{"items":{}}', ['items']), undefined)
  assert.equal(arrayElementSpans('{"data":{"other":[1]}}', ['data', 'list']), undefined)
  assert.equal(arrayElementSpans('{"data":null}', ['data', 'list']), undefined)
})

test('invalid JSON throws a SyntaxError', () => {
  assert.throws(() => parseJson('{"code":0,"data":{"list":[{"a":1}'), SyntaxError)
})
