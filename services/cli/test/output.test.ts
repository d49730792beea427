import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CliError, EXIT } from '../src/errors.ts'
import { csv, displayWidth, formatOf, render, table, visible } from '../src/output.ts'

const ROWS = [
  { rank: 1, name: 'fyp', views: 1200345, change: -3 },
  { rank: 10, name: 'summer vibes', views: 980, change: 12 },
  { rank: 2, name: 'cat', views: null, change: 0 },
]

test('table: a header, a rule as wide as each column, numbers right-aligned, text left-aligned, no trailing spaces', () => {
  assert.equal(
    table(ROWS),
    [
      'rank  name            views  change',
      '────  ────────────  ───────  ──────',
      '   1  fyp           1200345      -3',
      '  10  summer vibes      980      12',
      '   2  cat                         0',
      '',
    ].join('\n'),
  )
})

test('table: a column is right-aligned when every cell reads as a number (or is null), decimals and negatives too; one text cell makes it text', () => {
  const lines = table([
    { price: '1.50', code: '007', id: 'a1' },
    { price: '12', code: '12', id: '3' },
  ]).split('\n')
  assert.deepEqual(lines, ['price  code  id', '─────  ────  ──', ' 1.50   007  a1', '   12    12  3', ''])
  assert.deepEqual(table([{ n: -2.5 }, { n: 10 }]).split('\n'), ['   n', '────', '-2.5', '  10', ''])
})

test('table: objects and arrays as JSON, booleans and bigints as written, null and missing cells empty', () => {
  assert.equal(
    table([
      { a: { k: 'v' }, b: true, c: 12345678901234567890n, d: 'x' },
      { a: [1, 2], b: false, d: null },
    ]),
    [
      'a          b      c                     d',
      '─────────  ─────  ────────────────────  ─',
      '{"k":"v"}  true   12345678901234567890  x',
      '[1,2]      false',
      '',
    ].join('\n'),
  )
})

test('table of nothing says so; the columns are those of the first row', () => {
  assert.equal(table([]), '(no rows)\n')
  assert.equal(table([{ a: 'x' }, { a: 'y', b: 'ignored' }]), 'a\n─\nx\ny\n')
})

test('csv: a header, one line per row, quotes only where a value needs them (comma, quote, newline, CR), doubled inside', () => {
  assert.equal(
    csv([
      { name: 'plain', note: 'a,b', quote: 'say "hi"' },
      { name: 'multi\nline', note: 'cr\r', quote: null },
    ]),
    'name,note,quote\nplain,"a,b","say ""hi"""\n"multi\nline","cr\r",\n',
  )
  assert.equal(csv([{ 'a,b': 1, obj: { k: 'v,w' } }]), '"a,b",obj\n1,"{""k"":""v,w""}"\n', 'headers and JSON cells quoted alike')
  assert.equal(csv([]), '', 'no rows, no header')
})

test('render: JSON is the rows as they are, indented, with a final newline; table and csv as above', () => {
  assert.equal(render(ROWS, 'json'), `${JSON.stringify(ROWS, null, 2)}\n`)
  assert.deepEqual(JSON.parse(render(ROWS, 'json')), ROWS)
  assert.equal(render([], 'json'), '[]\n')
  assert.equal(render(ROWS, 'csv'), csv(ROWS))
  assert.equal(render(ROWS, 'table'), table(ROWS))
})

test('--format: table unless given; anything but table, json or csv is a usage error naming the value', () => {
  assert.equal(formatOf(undefined), 'table')
  assert.equal(formatOf('json'), 'json')
  assert.equal(formatOf('csv'), 'csv')
  for (const bad of ['JSON', 'tsv', '']) {
    assert.throws(
      () => formatOf(bad),
      (error: unknown) =>
        error instanceof CliError && error.exitCode === EXIT.usage && error.message === `--format: table, json or csv (got "${bad}")`,
    )
  }
})

test('table: columns line up by display width for CJK, Thai, Arabic and emoji names', () => {
  const lines = table([
    { rank: 1, name: '日本語のハッシュタグ' },
    { rank: 2, name: 'ภาษาไทย' },
    { rank: 3, name: 'مرحبا' },
    { rank: 4, name: '👍🏽 family 👨‍👩‍👧' },
    { rank: 5, name: 'plain' },
  ]).split('\n')
  // Every line's name column starts at the same terminal column, and the rule is as wide as the widest name.
  const widest = Math.max(...['日本語のハッシュタグ', 'ภาษาไทย', 'مرحبا', '👍🏽 family 👨‍👩‍👧', 'plain'].map(displayWidth))
  assert.equal(widest, 20, 'ten CJK characters take twenty columns')
  assert.equal(lines[1], `────  ${'─'.repeat(widest)}`)
  for (const line of lines.slice(2, -1)) assert.equal(displayWidth(line.slice(0, 6)), 6, line)
  assert.equal(lines[0], `rank  ${'name'.padEnd(widest)}`.trimEnd())
  assert.equal(displayWidth('👨‍👩‍👧'), 2, 'a joined emoji is one glyph of two columns')
})

test('upstream text never sends control characters to a terminal: escaped in tables, JSON and CSV on a terminal', () => {
  const evil = 'tag\u001b[2J\u0007\u009b31m\u202eevil\u2066'
  assert.equal(visible(evil), 'tag\\u001b[2J\\u0007\\u009b31m\\u202eevil\\u2066')
  const shown = table([{ name: evil }])
  assert.doesNotMatch(shown, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
  assert.match(shown, /tag\\u001b\[2J/)
  const json = render([{ name: evil }], 'json')
  assert.doesNotMatch(json, /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u001b]/)
  assert.deepEqual(JSON.parse(json), [{ name: evil }], 'JSON escapes keep the data exact')
  assert.equal(render([{ name: evil }], 'csv'), `name\n${evil}\n`, 'CSV for programs keeps the value exactly')
  assert.doesNotMatch(render([{ name: evil }], 'csv', true), /[\u001b\u0007\u009b\u202e\u2066]/)
})
