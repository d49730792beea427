import { test } from 'node:test'
import assert from 'node:assert/strict'
import { arrayElementSpans, MAX_JSON_DEPTH, parseJson, pathGet, scanJson } from '../src/json.ts'

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

const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

test('scanJson: nesting up to the limit passes, one more level is refused where it starts', () => {
  assert.equal(scanJson(deep(MAX_JSON_DEPTH)), undefined)
  assert.deepEqual(scanJson(deep(MAX_JSON_DEPTH + 1)), { kind: 'too-deep', at: MAX_JSON_DEPTH })
  // 100,000 levels: refused in one pass, no RangeError from anything recursive.
  assert.deepEqual(scanJson(`{"a":${'{"b":'.repeat(100_000)}1${'}'.repeat(100_000)}}`), { kind: 'too-deep', at: 5 + 5 * 63 })
  // Brackets inside strings (with escaped quotes) are text, not nesting.
  assert.equal(scanJson(`{"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`), undefined)
  assert.equal(scanJson(deep(10), { maxDepth: 10 }), undefined)
  assert.equal(scanJson(deep(11), { maxDepth: 10 })?.kind, 'too-deep')
})

test('scanJson: a key twice in one object is found, escapes and all; the same key in different objects is fine', () => {
  assert.deepEqual(scanJson('{"a":1,"b":2,"a":3}'), { kind: 'duplicate-key', at: 13 })
  assert.equal(scanJson('{"code":0,"c\\u006fde":40101}')?.kind, 'duplicate-key')
  assert.equal(scanJson('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{"a":1}}}'), undefined)
  assert.equal(scanJson('{"a":"b","b":"a"}'), undefined, 'values are not keys')
  assert.equal(scanJson('[{"x":1},{"x":2}]'), undefined, 'sibling objects at one depth do not share keys')
  assert.equal(scanJson('{"x":[1,{"y":1}],"y":2}'), undefined, 'an inner key is not the outer object’s')
  // A large object switches to a set; a repeat far in is still found.
  const keys = Array.from({ length: 200 }, (_, i) => `"k${i}":${i}`)
  assert.equal(scanJson(`{${keys.join(',')}}`), undefined)
  assert.equal(scanJson(`{${keys.join(',')},"k150":1}`)?.kind, 'duplicate-key')
})

test('scanJson with finiteNumbers: a number beyond a double is refused; big integers, tiny and ordinary numbers pass', () => {
  const check = (text: string) => scanJson(text, { finiteNumbers: true })?.kind
  assert.equal(check('{"views":1e400}'), 'number-out-of-range')
  assert.equal(check('{"views":-1.5E+309}'), 'number-out-of-range')
  assert.equal(check(`{"views":${'9'.repeat(400)}}`), 'number-out-of-range')
  assert.equal(check('{"views":1e308,"tiny":1e-400,"id":7603120458876214550,"f":-0.25}'), undefined)
  assert.equal(check('{"s":"1e400"}'), undefined, 'a string is not a number')
  assert.equal(scanJson('{"views":1e400}'), undefined, 'off by default')
})

test('scanJson leaves text that is not JSON to JSON.parse', () => {
  for (const text of ['', '}', ']]]', '{"a":', '{"a\\x":1}', '"unterminated', '{"a":1}}}']) {
    assert.equal(scanJson(text), undefined, text)
  }
})
