import { test } from 'node:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { createRegistry } from '@trends/metrics'
import { testLogger } from '@trends/testing'
import {
  ContractFileError,
  CONTRACTS,
  createCreativeCenterClient,
  describeDrift,
  driftFieldLabel,
  ENDPOINTS,
  itemDrift,
  pageDrift,
  parseContracts,
  readCreativeCenterSettings,
  type Json,
} from '../src/index.ts'

const HASHTAGS = CONTRACTS['hashtags-legacy']!

/** A legacy hashtag item as the API notes describe it. */
const hashtag = (extra: Record<string, Json> = {}): Record<string, Json> => ({
  hashtag_id: '601255',
  hashtag_name: 'fyp',
  country_info: { id: 'US', value: 'United States', label: 'US' },
  industry_info: { id: 22000000000, value: 'Apparel & Accessories', label: 'label_22000000000' },
  is_promoted: false,
  trend: [{ time: 1764547200, value: 0.42 }],
  creators: [],
  publish_cnt: 1200,
  video_views: 350000,
  rank: 1,
  rank_diff: 2,
  rank_diff_type: 1,
  ...extra,
})

test('every endpoint has a contract, and every contract an endpoint; its id field is required', () => {
  assert.deepEqual(Object.keys(CONTRACTS).sort(), ENDPOINTS.map((endpoint) => endpoint.name).sort())
  for (const endpoint of ENDPOINTS) assert.ok(endpoint.idPath[0]! in CONTRACTS[endpoint.name]!.required, endpoint.name)
})

test('an item that keeps its contract has no drift, whichever optional fields it leaves out or sends as null', () => {
  assert.deepEqual(itemDrift(HASHTAGS, hashtag()), [])
  const lean = hashtag({ industry_info: null })
  delete lean['rank_diff']
  delete lean['creators']
  assert.deepEqual(itemDrift(HASHTAGS, lean), [])
  // The gateway's string mode: ids and counts as strings.
  assert.deepEqual(itemDrift(CONTRACTS['hashtags-creative-one']!, { hashtagID: '1', hashtagName: 'x', rankIndex: '3', vv: '1200' }), [])
})

test('drift: a required field missing, a field nobody knows, a known field with another type', () => {
  const renamed = hashtag({ tag_name: 'fyp' })
  delete renamed['hashtag_name']
  assert.deepEqual(itemDrift(HASHTAGS, renamed), [
    { field: 'hashtag_name', kind: 'missing' },
    { field: 'tag_name', kind: 'unknown' },
  ])
  // A renamed optional field: its old name's absence is normal, its value would become null — the new name is drift.
  const renamedOptional = hashtag({ videoViews: 350000 })
  delete renamedOptional['video_views']
  assert.deepEqual(itemDrift(HASHTAGS, renamedOptional), [{ field: 'videoViews', kind: 'unknown' }])
  assert.deepEqual(itemDrift(HASHTAGS, hashtag({ rank: 'first', trend: { points: [] }, hashtag_id: null })), [
    { field: 'hashtag_id', kind: 'missing' },
    { field: 'rank', kind: 'retyped' },
    { field: 'trend', kind: 'retyped' },
  ])
  assert.deepEqual(itemDrift(HASHTAGS, 'not an object'), [{ field: '(item)', kind: 'retyped' }])
})

test("a page's drift: each field and kind once, with the number of items showing it; labels bounded; in words", () => {
  const renamed = (i: number) => {
    const item = hashtag({ rank: i, tag_name: `t${i}` })
    delete item['hashtag_name']
    return item
  }
  const page = [renamed(1), renamed(2), hashtag({ rank: 3, is_promoted: 'no' })]
  const drift = pageDrift(HASHTAGS, page)
  assert.deepEqual(drift, [
    { field: 'hashtag_name', kind: 'missing', items: 2 },
    { field: 'is_promoted', kind: 'retyped', items: 1 },
    { field: 'tag_name', kind: 'unknown', items: 2 },
  ])
  assert.equal(describeDrift(drift), 'hashtag_name missing, is_promoted retyped, tag_name unknown')
  assert.equal(driftFieldLabel(HASHTAGS, 'hashtag_name'), 'hashtag_name')
  assert.equal(driftFieldLabel(HASHTAGS, 'tag_name'), 'other')
  // Names every object inherits are upstream names like any other: unknown, and `other` as a label.
  for (const inherited of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
    assert.equal(driftFieldLabel(HASHTAGS, inherited), 'other', inherited)
    const item = JSON.parse(`{"hashtag_id":"1","hashtag_name":"x","rank":1,${JSON.stringify(inherited)}:1}`) as Record<string, unknown>
    assert.deepEqual(
      itemDrift(HASHTAGS, item as never).filter((entry) => entry.kind === 'unknown'),
      [{ field: inherited, kind: 'unknown' }],
      inherited,
    )
  }
  assert.equal(describeDrift([{ field: 'x'.repeat(100), kind: 'unknown' }]), `${'x'.repeat(64)}… unknown`)
})

test('the real-shaped captures keep their contracts', () => {
  const fixture = (name: string) =>
    JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')) as Record<string, Json>
  const legacy = fixture('legacy-hashtags.json')
  const legacyItems = ((legacy['data'] as Record<string, Json>)['list'] as Json[]) ?? []
  assert.ok(legacyItems.length > 0)
  assert.deepEqual(pageDrift(HASHTAGS, legacyItems), [])
  const creativeOne = fixture('creative-one-hashtags.json')
  const creativeOneItems = (creativeOne['items'] as Json[]) ?? []
  assert.ok(creativeOneItems.length > 0)
  assert.deepEqual(pageDrift(CONTRACTS['hashtags-creative-one']!, creativeOneItems), [])
})

const NAMES = ENDPOINTS.map((endpoint) => endpoint.name)

test('the shipped contracts are contracts.json beside the endpoint definitions, read as any contract file is', () => {
  const file = readFileSync(path.resolve(import.meta.dirname, '../src/contracts.json'), 'utf8')
  assert.deepEqual(parseContracts(file, 'contracts.json', NAMES), CONTRACTS)
  assert.deepEqual(HASHTAGS.required, { hashtag_id: 'id', hashtag_name: 'text', rank: 'count' })
})

test('a deployment contract file extends the shipped one: optional and extra fields added, an optional type changed', () => {
  const override = JSON.stringify({
    'hashtags-legacy': { optional: { tag_score: 'number', rank_diff: 'text' }, extra: ['ad_meta'], note: 'seen since March' },
  })
  const contracts = parseContracts(override, 'mine.json', NAMES, CONTRACTS)
  const extended = contracts['hashtags-legacy']!
  assert.deepEqual(extended.required, HASHTAGS.required)
  assert.equal(extended.optional['tag_score'], 'number')
  assert.equal(extended.optional['rank_diff'], 'text')
  assert.deepEqual(extended.extra, ['related_items', 'ad_meta'])
  assert.equal(contracts['sounds-legacy'], CONTRACTS['sounds-legacy'], 'endpoints the file leaves out keep the shipped contract')
  // What the shipped contract calls drift, the extended one does not.
  const item = hashtag({ tag_score: 0.7, ad_meta: {}, rank_diff: '+2' })
  assert.deepEqual(itemDrift(HASHTAGS, item), [
    { field: 'rank_diff', kind: 'retyped' },
    { field: 'tag_score', kind: 'unknown' },
    { field: 'ad_meta', kind: 'unknown' },
  ])
  assert.deepEqual(itemDrift(extended, item), [])
})

test('a contract file that does not parse or says something unusable: one line naming the file and the place', () => {
  const bad = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseContracts(text, 'mine.json', NAMES, CONTRACTS),
      (error: unknown) => error instanceof ContractFileError && pattern.test(error.message) && !error.message.includes('\n'),
      text,
    )
  bad('{"hashtags-legacy": {', /^mine\.json: not JSON \(/)
  bad('[]', /^mine\.json: expected an object of endpoint names$/)
  bad('{"hashtags-tiktok": {}}', /^mine\.json: unknown endpoint "hashtags-tiktok" \(known: keywords-legacy, /)
  bad(
    '{"hashtags-legacy": {"optional": {"x": "float"}}}',
    /^mine\.json: hashtags-legacy\.optional\.x: type "float" is not one of text, id, /,
  )
  bad('{"hashtags-legacy": {"extra": "x"}}', /^mine\.json: hashtags-legacy\.extra: expected an array of field names$/)
  bad('{"hashtags-legacy": {"optionals": {}}}', /^mine\.json: hashtags-legacy: unknown key "optionals"/)
  bad('{"hashtags-legacy": {"required": {"tag_name": "text"}}}', /hashtags-legacy\.required: an override cannot change required fields/)
  bad('{"hashtags-legacy": {"extra": ["rank"]}}', /^mine\.json: hashtags-legacy: rank is named twice/)
  assert.throws(() => parseContracts('{"videos-legacy": {"optional": {}}}', 'base.json', NAMES), /videos-legacy\.required: name at least/)
})

test('CC_CONTRACTS_FILE: read at start-up; a file that is missing or wrong is a problem listed with the others', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'contracts-'))
  try {
    const good = path.join(dir, 'good.json')
    writeFileSync(good, JSON.stringify({ 'sounds-legacy': { extra: ['rank_badge'] } }))
    const env = readEnv({ CC_CONTRACTS_FILE: good })
    assert.ok(readCreativeCenterSettings(env).contracts?.['sounds-legacy']?.extra.includes('rank_badge'))
    env.done()
    assert.equal(readCreativeCenterSettings(readEnv({})).contracts, undefined, 'unset: the shipped contracts')

    const wrong = path.join(dir, 'wrong.json')
    writeFileSync(wrong, JSON.stringify({ tiktok: {} }))
    const problems = readEnv({ CC_CONTRACTS_FILE: wrong, CC_RATE_PER_SECOND: 'fast' })
    readCreativeCenterSettings(problems)
    assert.throws(
      () => problems.done(),
      (error: unknown) =>
        error instanceof Error &&
        /CC_RATE_PER_SECOND/.test(error.message) &&
        error.message.includes(`CC_CONTRACTS_FILE: ${wrong}: unknown endpoint "tiktok"`),
    )
    const missing = readEnv({ CC_CONTRACTS_FILE: path.join(dir, 'nope.json') })
    readCreativeCenterSettings(missing)
    assert.throws(() => missing.done(), /CC_CONTRACTS_FILE: cannot read .*nope\.json/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the drift, failure and request counters start at 0 for every endpoint and every label a contract can produce', async () => {
  const metrics = createRegistry('contracts-test')
  const client = createCreativeCenterClient({ settings: readCreativeCenterSettings(readEnv({})), logger: testLogger(), metrics })
  try {
    const series = async (name: string) => (await metrics.getSingleMetric(name)!.get()).values
    const drift = await series('trends_cc_drift_total')
    assert.ok(drift.every((value) => value.value === 0))
    for (const endpoint of ENDPOINTS) {
      const labels = drift
        .filter((value) => value.labels['endpoint'] === endpoint.name)
        .map((v) => `${v.labels['field']} ${v.labels['kind']}`)
      const contract = CONTRACTS[endpoint.name]!
      // Whatever itemDrift can say of this endpoint's items, labelled as the client labels it, is a series already.
      const odd = { ...Object.fromEntries(Object.keys(contract.required).map((field) => [field, { x: 1 }])), brand_new: 1 }
      for (const { field, kind } of [...itemDrift(contract, {}), ...itemDrift(contract, odd), ...itemDrift(contract, 'not an item')]) {
        assert.ok(labels.includes(`${driftFieldLabel(contract, field)} ${kind}`), `${endpoint.name}: ${field} ${kind}`)
      }
      for (const [field, type] of Object.entries(contract.optional)) {
        const retyped = itemDrift(contract, { [field]: type === 'array' ? 'x' : [] })
        assert.ok(
          retyped.some((d) => d.field === field && d.kind === 'retyped') && labels.includes(`${field} retyped`),
          `${endpoint.name}: ${field}`,
        )
      }
    }
    const failures = await series('trends_cc_failures_total')
    for (const code of ['CC_LOGIN_REQUIRED', 'CC_CAPTCHA', 'CC_DEPRECATED']) {
      assert.equal(failures.filter((value) => value.labels['code'] === code && value.value === 0).length, ENDPOINTS.length, code)
    }
    const requests = await series('trends_cc_requests_total')
    assert.equal(requests.filter((value) => value.labels['outcome'] === 'ok' && value.value === 0).length, ENDPOINTS.length)
  } finally {
    await client.close()
  }
})
