import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@trends/core'
import { faultRuleProblems } from '../src/faults.ts'
import { createSimulator, type FaultRuleInput } from '../src/index.ts'
import { addFault, get, legacyGet, legacyList, obj, objects, PATHS, post, startSimulator } from './helpers.ts'

async function statuses(url: string, path: string, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push((await get(url, path)).status)
  return out
}

test('count: the rule fires on the next N matching requests, then expires', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const id = await addFault(url, { fault: 'server-error', path: PATHS.overview, count: 2 })
  const listed = objects((await get(url, '/__simulator/faults')).body['rules'])
  assert.deepEqual(listed, [{ id, fault: 'server-error', path: PATHS.overview, count: 2, remaining: 2 }])
  assert.deepEqual(await statuses(url, PATHS.overview, 4), [500, 500, 200, 200])
  assert.deepEqual((await get(url, '/__simulator/faults')).body['rules'], [])
})

test('rate: fires with the given probability, repeatably for a seed', { timeout: 20_000 }, async (t) => {
  const run = async (seed: number): Promise<number[]> => {
    const url = await startSimulator(t, { seed })
    await addFault(url, { fault: 'unavailable', path: PATHS.overview, rate: 0.3 })
    return statuses(url, PATHS.overview, 200)
  }
  const first = await run(5)
  const failures = first.filter((status) => status === 503).length
  assert.ok(failures > 35 && failures < 85, `${failures} of 200 at rate 0.3`)
  assert.ok(first.every((status) => status === 503 || status === 200))
  assert.deepEqual(await run(5), first, 'same seed, same sequence')
  assert.notDeepEqual(await run(6), first, 'another seed, another sequence')

  const url = await startSimulator(t)
  await addFault(url, { fault: 'server-error', path: PATHS.overview, rate: 0 })
  await addFault(url, { fault: 'unavailable', path: PATHS.overview, rate: 1, count: 3 })
  assert.deepEqual(await statuses(url, PATHS.overview, 5), [503, 503, 503, 200, 200], 'rate 0 never fires; rate with count expires')
})

test('path: a rule applies to its exact path only; without a path to every API path', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'rate-limit', path: PATHS.hashtags })
  for (let i = 0; i < 3; i++) assert.equal((await legacyGet(url, PATHS.hashtags)).status, 429)
  assert.equal((await legacyGet(url, PATHS.creators)).status, 200)
  assert.equal((await legacyGet(url, `${PATHS.hashtags}/`)).status, 404, 'exact match: a trailing slash is another path')
  assert.equal((await get(url, '/__simulator/stats')).status, 200, 'the control API is never faulted')
  const cleared = await fetch(`${url}/__simulator/faults`, { method: 'DELETE' })
  assert.deepEqual(await cleared.json(), { cleared: 1 })
  assert.equal((await legacyGet(url, PATHS.hashtags)).status, 200)

  await addFault(url, { fault: 'unavailable' })
  for (const path of [PATHS.hashtags, PATHS.sounds, PATHS.overview, PATHS.contents]) assert.equal((await get(url, path)).status, 503, path)
  assert.equal((await get(url, '/nope')).status, 404, 'unknown paths are not API paths')
})

test('shape faults skip responses without a list and keep their count for the next list', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'missing-list', count: 1 })
  assert.equal(typeof (await get(url, PATHS.overview)).body['lastDailyEndTimestamp'], 'number')
  assert.equal((await legacyGet(url, PATHS.hashtags, {}, {})).body['code'], 40101, 'error envelopes are not list responses')
  const reply = await legacyGet(url, PATHS.hashtags)
  assert.equal(obj(reply.body['data'])['list'], undefined)
  assert.equal(legacyList(await legacyGet(url, PATHS.hashtags), 'list').length, 20)
})

test('stats count requests per path and injected faults per kind; reset-stats zeroes them', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  await addFault(url, { fault: 'rate-limit', path: PATHS.sounds, count: 2 })
  await addFault(url, { fault: 'captcha', path: PATHS.hashtagList, count: 1 })
  for (let i = 0; i < 3; i++) await legacyGet(url, PATHS.sounds)
  await post(url, PATHS.hashtagList, { timeRange: 7 })
  await get(url, PATHS.overview)
  await get(url, '/missing')
  const before = Date.now()
  const stats = (await get(url, '/__simulator/stats')).body as { requests: unknown; faults: unknown; arrivals: number[] }
  const { arrivals, ...counts } = stats
  assert.deepEqual(counts, {
    requests: { [PATHS.sounds]: 3, [PATHS.hashtagList]: 1, [PATHS.overview]: 1, '/missing': 1 },
    faults: { 'rate-limit': 2, captcha: 1 },
  })
  // One arrival time per request, in order, none later than now.
  assert.equal(arrivals.length, 6)
  assert.deepEqual(
    [...arrivals].sort((a, b) => a - b),
    arrivals,
  )
  assert.ok(arrivals.every((time) => time <= before && time > before - 10_000))
  const reset = await post(url, '/__simulator/reset-stats', {})
  assert.deepEqual(reset.body, { requests: {}, faults: {}, arrivals: [] })
  await get(url, PATHS.overview)
  const after = (await get(url, '/__simulator/stats')).body as { requests: unknown; faults: unknown; arrivals: number[] }
  assert.deepEqual([after.requests, after.faults, after.arrivals.length], [{ [PATHS.overview]: 1 }, {}, 1])
})

test('the control API validates rules and removes them one by one or all at once', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const bad: [unknown, RegExp][] = [
    ['{', /JSON fault rule/],
    [{ fault: 'meltdown' }, /fault must be one of rate-limit, /],
    [{ fault: 'rate-limit', rate: 2 }, /rate must be a number from 0 to 1/],
    [{ fault: 'rate-limit', count: 0 }, /count must be a positive integer/],
    [{ fault: 'rate-limit', path: 'creative_radar_api' }, /path must be a string starting with \//],
    [{ fault: 'slow-headers', delay: 10 }, /unknown field "delay"/],
    [{ fault: 'raw-body' }, /raw-body needs bodyBase64/],
    [{ fault: 'raw-body', bodyBase64: 'not base64!' }, /bodyBase64 must be a base64 string/],
    [{ fault: 'huge-item' }, /huge-item needs bytes/],
    [{ fault: 'huge-item', bytes: 0 }, /bytes must be an integer from 1 to/],
  ]
  for (const [body, message] of bad) {
    const reply = await post(url, '/__simulator/faults', body)
    assert.equal(reply.status, 400, JSON.stringify(body))
    assert.match(String(reply.body['error']), message)
  }
  const first = await addFault(url, { fault: 'server-error', path: PATHS.overview })
  const second = await addFault(url, { fault: 'unavailable', path: PATHS.overview })
  assert.notEqual(first, second)
  assert.equal((await get(url, PATHS.overview)).status, 500, 'the first matching rule wins')
  const removed = await fetch(`${url}/__simulator/faults/${first}`, { method: 'DELETE' })
  assert.deepEqual(await removed.json(), { removed: first })
  assert.equal((await get(url, PATHS.overview)).status, 503)
  assert.equal((await fetch(`${url}/__simulator/faults/${first}`, { method: 'DELETE' })).status, 404)
  assert.equal((await get(url, '/__simulator/unknown')).status, 404)
})

test('deprecated paths (SIM_DEPRECATED) and start-up rules (SIM_FAULTS) as options', { timeout: 10_000 }, async (t) => {
  const faults: FaultRuleInput[] = [{ fault: 'server-error', path: PATHS.creators, count: 1 }]
  const url = await startSimulator(t, { deprecatedPaths: [PATHS.sounds, PATHS.hashtags], faults })
  for (const path of [PATHS.sounds, PATHS.hashtags]) {
    const reply = await legacyGet(url, path)
    assert.deepEqual({ ...reply.body, request_id: '' }, { code: 0, msg: 'deprecated', request_id: '', data: {} })
    assert.equal((await legacyGet(url, path, {}, {})).body['code'], 40101, 'unsigned requests are still refused first')
  }
  assert.equal((await legacyGet(url, PATHS.keywords)).body['msg'], 'OK')
  assert.equal((await legacyGet(url, PATHS.creators)).status, 500)
  assert.equal((await legacyGet(url, PATHS.creators)).status, 200)
  assert.throws(
    () => createSimulator({ faults: [{ fault: 'nope' } as unknown as FaultRuleInput, { fault: 'rate-limit', rate: -1 }] }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
  )
})

test('field faults need the field (and a rename its new name), each a plain field name', () => {
  assert.deepEqual(faultRuleProblems({ fault: 'rename-item-field', field: 'hashtag_name', to: 'tag_name' }), [])
  assert.deepEqual(faultRuleProblems({ fault: 'retype-item-field', field: 'rank' }), [])
  assert.deepEqual(faultRuleProblems({ fault: 'rename-item-field', field: 'hashtag_name' }), ['rename-item-field needs to'])
  assert.deepEqual(faultRuleProblems({ fault: 'extra-item-field' }), ['extra-item-field needs field'])
  assert.deepEqual(faultRuleProblems({ fault: 'retype-item-field', field: 'a.b' }), [
    'field must be a field name (letters, digits, _; at most 100)',
  ])
})
