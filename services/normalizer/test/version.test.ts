import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseJson } from '@trends/creative-center'
import { observe, type RawRecord } from '../src/observation.ts'
import { NORMALIZER_VERSION } from '../src/version.ts'

// What the normalization makes of a fixed corpus (a few items of every endpoint, as the producer
// publishes them), one digest per normalizer version. A change to the output must come with a new
// version: a reprocessed record then replaces the old one downstream, deterministically.

const FIXTURES = new URL('./fixtures/', import.meta.url)
const corpus = JSON.parse(readFileSync(new URL('corpus.json', FIXTURES), 'utf8')) as RawRecord[]
const recordedFile = new URL('output-fingerprints.json', FIXTURES)
const recorded = JSON.parse(readFileSync(recordedFile, 'utf8')) as Record<string, string>

/** The digest of every cleaned record the corpus makes (the version field aside: it is what is checked). */
function outputDigest(): { digest: string; records: number } {
  const hash = createHash('sha256')
  let records = 0
  for (const [offset, raw] of corpus.entries()) {
    const source = { topic: `tiktok.raw.${raw.family}`, partition: 0, offset: String(offset), schemaId: 1 }
    const { record, dedupKey, fingerprint } = observe(raw, parseJson(raw.item_json), source, Date.UTC(2026, 11, 3, 1, 0, 5))
    const output = { ...record, normalizer_version: undefined }
    hash.update(JSON.stringify({ output, dedupKey, fingerprint }))
    hash.update('\n')
    records++
  }
  return { digest: hash.digest('hex'), records }
}

test('the corpus covers every endpoint the normalizer maps', () => {
  const endpoints = new Set(corpus.map((raw) => raw.endpoint))
  assert.ok(endpoints.size >= 7, [...endpoints].join(', '))
  assert.ok(corpus.length >= 25)
})

test("the normalizer's output for the same input changes only with NORMALIZER_VERSION", () => {
  const { digest, records } = outputDigest()
  assert.equal(records, corpus.length)
  const current = recorded[String(NORMALIZER_VERSION)]
  assert.equal(
    current,
    digest,
    current === undefined
      ? `no output digest is recorded for normalizer version ${NORMALIZER_VERSION}: add "${NORMALIZER_VERSION}": "${digest}" to ${recordedFile.pathname}`
      : `the normalizer's output changed and its version did not: bump NORMALIZER_VERSION in services/normalizer/src/version.ts and record "${NORMALIZER_VERSION + 1}": "${digest}" in ${recordedFile.pathname}`,
  )
  // Each recorded version made different output than every other: a bump came with a change.
  const digests = Object.values(recorded)
  assert.equal(new Set(digests).size, digests.length, 'two versions recorded with the same output')
  assert.ok(
    Object.keys(recorded).every((version) => Number(version) >= 1 && Number(version) <= NORMALIZER_VERSION),
    `recorded versions ${Object.keys(recorded).join(', ')} run from 1 to NORMALIZER_VERSION (${NORMALIZER_VERSION})`,
  )
})

test('every cleaned record carries the current version', () => {
  const raw = corpus[0]!
  const { record } = observe(raw, parseJson(raw.item_json), { topic: 't', partition: 0, offset: '0', schemaId: 1 }, 0)
  assert.equal(record.normalizer_version, NORMALIZER_VERSION)
})
