import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DAY_MS, legacyGet, legacyList, NOW, PATHS, post, get, signed, startSimulator, withoutRequestId, type Obj } from './helpers.ts'

/** One request per endpoint; the raw texts with request_id blanked. */
async function snapshot(url: string, nowMs: number): Promise<string[]> {
  const legacy = [
    [PATHS.hashtags, { period: 7, country_code: 'US', limit: 50 }],
    [PATHS.sounds, { period: 30, country_code: 'BR', limit: 20 }],
    [PATHS.creators, { creator_country: 'KR', sort_by: 'engagement', limit: 50 }],
    [PATHS.videos, { period: 7, country_code: 'JP', limit: 20 }],
    [PATHS.keywords, { period: 7, country_code: 'SA', limit: 50 }],
  ] as const
  const texts = await Promise.all(legacy.map(async ([path, params]) => (await legacyGet(url, path, params, signed(nowMs))).text))
  const cookie = { cookie: 'sessionid_ads=abc' }
  texts.push((await post(url, PATHS.hashtagList, { timeRange: 30, countryCode: 'FR', page: 2, limit: 20 }, cookie)).text)
  texts.push((await get(url, PATHS.overview)).text)
  texts.push((await get(url, `${PATHS.contents}?periodDimension=3&countryCode=TH&page=3`)).text)
  return texts.map(withoutRequestId)
}

test('same seed and same data day give byte-identical responses (except request_id)', { timeout: 20_000 }, async (t) => {
  const morning = NOW - 8 * 3600_000
  const first = await startSimulator(t, { seed: 7, now: () => NOW })
  const second = await startSimulator(t, { seed: 7, now: () => morning })
  const a = await snapshot(first, NOW)
  const b = await snapshot(second, morning)
  assert.equal(a.length, 8)
  for (const [i, text] of a.entries()) {
    assert.ok(text.length > 100, `response ${i} has content`)
    assert.equal(text, b[i], `response ${i} differs`)
  }
  const other = await snapshot(await startSimulator(t, { seed: 8, now: () => NOW }), NOW)
  const same = other.filter((text, i) => text === a[i]).length
  assert.equal(same, 1, 'another seed changes every data response (only the overview timestamps stay)')
})

test('the next data day moves ranks and counts but keeps identities', { timeout: 20_000 }, async (t) => {
  const day1 = await startSimulator(t, { now: () => NOW })
  const day2 = await startSimulator(t, { now: () => NOW + DAY_MS })
  const chart = async (url: string, nowMs: number): Promise<Obj[]> => {
    const pages = await Promise.all(
      [1, 2].map((page) => legacyGet(url, PATHS.hashtags, { country_code: 'US', limit: 50, page }, signed(nowMs))),
    )
    return pages.flatMap((reply) => legacyList(reply, 'list'))
  }
  const before = await chart(day1, NOW)
  const after = await chart(day2, NOW + DAY_MS)
  const byId = new Map(before.map((item) => [item['hashtag_id'], item]))
  const kept = after.filter((item) => byId.has(item['hashtag_id']))
  assert.ok(kept.length >= 90, `${kept.length} of 100 hashtags stay on the chart`)
  let moved = 0
  let recounted = 0
  for (const item of after) {
    const previous = byId.get(item['hashtag_id'])
    if (previous === undefined) {
      // A new entry: no rank_diff, type 4.
      assert.equal(item['rank_diff'], undefined)
      assert.equal(item['rank_diff_type'], 4)
      continue
    }
    assert.equal(item['hashtag_name'], previous['hashtag_name'], 'names are fixed per id')
    const rank = Number(item['rank'])
    const previousRank = Number(previous['rank'])
    const diff = Number(item['rank_diff'])
    const expected = previousRank > rank ? [1, previousRank - rank] : previousRank === rank ? [2, 0] : [3, rank - previousRank]
    assert.deepEqual([item['rank_diff_type'], diff], expected, `rank_diff of ${String(item['hashtag_id'])}`)
    if (rank !== previousRank) moved++
    if (item['publish_cnt'] !== previous['publish_cnt']) recounted++
    const trendBefore = previous['trend'] as Obj[]
    const trendAfter = item['trend'] as Obj[]
    assert.equal(trendAfter.at(-1)?.['time'], Number(trendBefore.at(-1)?.['time']) + 86_400, 'the curve advances one day')
  }
  assert.ok(moved > 20, `${moved} ranks moved`)
  assert.ok(recounted > 80, `${recounted} counts changed`)

  const creators = async (url: string, nowMs: number): Promise<Obj[]> =>
    (
      await Promise.all(Array.from({ length: 10 }, (_, i) => legacyGet(url, PATHS.creators, { limit: 50, page: i + 1 }, signed(nowMs))))
    ).flatMap((reply) => legacyList(reply, 'creators'))
  const creatorsBefore = await creators(day1, NOW)
  const creatorsAfter = await creators(day2, NOW + DAY_MS)
  assert.equal(creatorsBefore.length, 459)
  const ids = (list: Obj[]): string[] => list.map((creator) => String(creator['tcm_id'])).sort()
  assert.deepEqual(ids(creatorsAfter), ids(creatorsBefore), 'the same 459 creators')
  const followersBefore = new Map(creatorsBefore.map((creator) => [creator['tcm_id'], creator['follower_cnt']]))
  const changed = creatorsAfter.filter((creator) => followersBefore.get(creator['tcm_id']) !== creator['follower_cnt']).length
  assert.ok(changed > 400, `${changed} follower counts moved`)
})
