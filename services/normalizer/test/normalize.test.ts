import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecordError } from '@trends/core'
import { caseFold, displayName, normalizeName, requestIdTime, toCount, toEpochMs, toId, toInt, toPopularity } from '../src/normalize.ts'

test('NFKC: full-width and compatibility forms become plain', () => {
  assert.equal(normalizeName('ＳＰＲＩＮＧ　Ｏｕｔｆｉｔｓ', 'hashtag'), 'spring outfits')
  assert.equal(normalizeName('ﬁt check', 'keyword'), 'fit check')
  assert.equal(normalizeName('①st', 'keyword'), '1st')
})

test('case folding, including ß and final sigma', () => {
  assert.equal(caseFold('Straße'), 'strasse')
  assert.equal(normalizeName('ΟΔΟΣ', 'keyword'), 'οδοσ')
  assert.equal(normalizeName('İstanbul', 'keyword'), 'i̇stanbul')
})

test('whitespace is trimmed and collapsed, including non-breaking and line breaks', () => {
  assert.equal(normalizeName('  free \u00a0\n shipping\t ', 'keyword'), 'free shipping')
})

test('a leading # is stripped from hashtags only (also the full-width ＃)', () => {
  assert.equal(normalizeName('#SpringOutfits', 'hashtag'), 'springoutfits')
  assert.equal(normalizeName('＃＃ tag', 'hashtag'), 'tag')
  assert.equal(normalizeName('#1 song', 'sound'), '#1 song')
  assert.equal(displayName('  #SpringOutfits ', 'hashtag'), 'SpringOutfits')
})

test('zero-width and control characters go; emoji, including joined sequences, stay', () => {
  assert.equal(normalizeName('spr\u200Bing\u200C\uFEFFtime\u0007', 'hashtag'), 'springtime')
  assert.equal(normalizeName('coding 👩‍💻 life', 'hashtag'), 'coding 👩‍💻 life')
  assert.equal(normalizeName('family 👨‍👩‍👧 ✨', 'hashtag'), 'family 👨‍👩‍👧 ✨')
  assert.equal(normalizeName('a\u200Db', 'hashtag'), 'ab', 'a joiner between letters is stray')
  assert.equal(normalizeName('新年快乐🎉', 'hashtag'), '新年快乐🎉')
})

test('mixed scripts and right-to-left text are kept; bidi controls are removed', () => {
  assert.equal(normalizeName('\u202Bرمضان كريم\u202C Ramadan', 'hashtag'), 'رمضان كريم ramadan')
  assert.equal(normalizeName('\u200Fשלום\u200E world', 'keyword'), 'שלום world')
  assert.equal(normalizeName('Привет мир', 'keyword'), 'привет мир')
})

test('numbers that arrive as numeric strings become numbers; junk is null', () => {
  assert.equal(toCount('52400'), 52400)
  assert.equal(toCount(38214), 38214)
  assert.equal(toCount('120500000'), 120500000)
  assert.equal(toCount('1.2e3'), 1200)
  assert.equal(toCount('12k'), null)
  assert.equal(toCount(null), null)
  assert.equal(toCount(Number.NaN), null)
})

test('a number the item sends but no field can hold is NUMBER_OUT_OF_RANGE, never Infinity, NaN or a guess', () => {
  const outOfRange = (run: () => unknown) =>
    assert.throws(run, (error: unknown) => error instanceof RecordError && error.errorClass === 'NUMBER_OUT_OF_RANGE')
  for (const value of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1e400', '-1e400', 2 ** 53 + 2, '123456789012345678901']) {
    outOfRange(() => toCount(value))
  }
  assert.equal(toCount(2 ** 53 - 1), 2 ** 53 - 1)
  outOfRange(() => toInt(3_000_000_000))
  outOfRange(() => toInt('-2147483649'))
  assert.equal(toInt(2_147_483_647), 2_147_483_647)
  outOfRange(() => toPopularity(1e307, 'unit'))
  outOfRange(() => toPopularity('1e400', 'percent'))
  assert.equal(toPopularity('abc', 'percent'), null)
  outOfRange(() => toEpochMs(Number.POSITIVE_INFINITY))
})

test('ids stay strings: bare 19-digit numbers (already exact strings from the parser) and numbers', () => {
  assert.equal(toId('7603120458876214550'), '7603120458876214550')
  assert.equal(toId(601255), '601255')
  assert.equal(toId(''), null)
  assert.equal(toId({}), null)
})

test('popularity lands on one 0–100 scale: legacy 0–1 × 100, new values as sent', () => {
  assert.equal(toPopularity(0.41, 'unit'), 41)
  assert.equal(toPopularity(1, 'unit'), 100)
  assert.equal(toPopularity(62, 'percent'), 62)
  assert.equal(toPopularity('100', 'percent'), 100)
  assert.equal(toPopularity('n/a', 'percent'), null)
})

test('times: unix seconds or milliseconds, numbers or strings; the request_id stamp', () => {
  assert.equal(toEpochMs(1772755200), 1772755200000)
  assert.equal(toEpochMs('1789084800'), 1789084800000)
  assert.equal(toEpochMs(1772755200000), 1772755200000)
  assert.equal(requestIdTime('20260312081544A1B2C3D4E5F6A7B8C9D0'), Date.UTC(2026, 2, 12, 8, 15, 44))
  assert.equal(requestIdTime('not-an-id'), null)
  assert.equal(requestIdTime('20240229235959A1B2C3D4E5F6A7B8C9D0'), Date.UTC(2024, 1, 29, 23, 59, 59), 'a leap day')
  // Stamps that are no clock time are ignored, not rolled into the next day, month or year.
  for (const stamp of [
    '20261301000000',
    '20260230120000',
    '20250229120000',
    '20260312240000',
    '20260312086000',
    '20260312081560',
    '20260300000000',
  ]) {
    assert.equal(requestIdTime(`${stamp}A1B2C3D4E5F6A7B8C9D0`), null, stamp)
  }
})
