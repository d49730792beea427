import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatSize, parseSize } from '../src/size.ts'

test('sizes: bytes and binary units, nothing else', () => {
  assert.equal(parseSize('512B'), 512)
  assert.equal(parseSize('64KiB'), 65_536)
  assert.equal(parseSize('64MiB'), 67_108_864)
  assert.equal(parseSize(' 2 GiB '), 2_147_483_648)
  for (const text of ['64MB', '64mib', '1.5MiB', '-1B', '64', 'lots', '']) assert.equal(parseSize(text), undefined, text)
  assert.equal(parseSize('99999999999999GiB'), undefined, 'past 2^53')
})

test('sizes read back as a person writes them', () => {
  assert.equal(formatSize(67_108_864), '64 MiB')
  assert.equal(formatSize(1536), '1.5 KiB')
  assert.equal(formatSize(12), '12 B')
})
