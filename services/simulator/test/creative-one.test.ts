import { test } from 'node:test'
import assert from 'node:assert/strict'
import { get, obj, objects, PATHS, post, query, startSimulator, type Reply } from './helpers.ts'

const LOGGED_IN = { cookie: 'lang_type=en; sessionid_ads=0f3c9a7b1e2d4c5f; sid_tt_ads=0f3c9a7b1e2d4c5f' }
const STR = { 'agw-js-conv': 'str' }
/** 2026-03-12, its Monday 2026-03-09 and the 1st 2026-03-01, 00:00 UTC. */
const DAILY = 1_773_273_600
const WEEKLY = 1_773_014_400
const MONTHLY = 1_772_323_200

function items(reply: Reply, key = 'items'): Record<string, unknown>[] {
  return objects(reply.body[key])
}

test('GetHashtagList: logged-out callers get the top 3 rows only', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const first = await post(url, PATHS.hashtagList, { timeRange: 7, countryCode: 'US', page: 1, limit: 20 })
  assert.deepEqual(Object.keys(first.body), ['BaseResp', 'items', 'pagination'])
  assert.deepEqual(first.body['BaseResp'], { StatusCode: 0, StatusMessage: '' })
  assert.deepEqual(
    items(first).map((item) => item['rankIndex']),
    [1, 2, 3],
  )
  assert.deepEqual(first.body['pagination'], { page: 1, limit: 3, totalCount: 3, hasMore: false })
  const second = await post(url, PATHS.hashtagList, { timeRange: 7, countryCode: 'US', page: 2, limit: 20 })
  assert.equal(items(second).length, 0)
  const noSession = await post(url, PATHS.hashtagList, { timeRange: 7, countryCode: 'US' }, { cookie: 'lang_type=en; sessionid_ads=' })
  assert.equal(items(noSession).length, 3)
})

test('GetHashtagList: logged-in callers page through 100 hashtags, 20 per page', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const pages = await Promise.all(
    [1, 2, 3, 4, 5].map((page) => post(url, PATHS.hashtagList, { timeRange: 30, countryCode: 'GB', page, limit: 20 }, LOGGED_IN)),
  )
  const all = pages.flatMap((page) => items(page))
  assert.equal(all.length, 100)
  assert.equal(new Set(all.map((item) => item['hashtagID'])).size, 100)
  assert.deepEqual(
    all.map((item) => item['rankIndex']),
    Array.from({ length: 100 }, (_, i) => i + 1),
  )
  assert.deepEqual(pages[0]?.body['pagination'], { page: 1, limit: 20, totalCount: 100, hasMore: true })
  assert.deepEqual(pages[4]?.body['pagination'], { page: 5, limit: 20, totalCount: 100, hasMore: false })
  const capped = await post(url, PATHS.hashtagList, { timeRange: 7, countryCode: 'GB', page: 1, limit: 50 }, LOGGED_IN)
  assert.equal(items(capped).length, 20)
  for (const item of all) {
    assert.equal(typeof item['hashtagID'], 'string')
    const curve = objects(item['popularityCurve'])
    assert.equal(curve.length, 30)
    assert.ok(curve.every((point) => Number(point['value']) >= 0 && Number(point['value']) <= 100))
    assert.equal(Math.max(...curve.map((point) => Number(point['value']))), 100)
    assert.equal(curve.at(-1)?.['timestamp'], DAILY)
    assert.ok(Array.isArray(item['industryIDs']) && item['industryIDs'].every((id) => typeof id === 'string'))
  }
  const trailingZero = all.filter((item) => objects(item['popularityCurve']).at(-1)?.['value'] === 0).length
  assert.ok(trailingZero > 30 && trailingZero < 100, `${trailingZero} curves end in 0`)
  const industry = await post(url, PATHS.hashtagList, { timeRange: 7, countryCode: 'US', industryID: 23000000000 }, LOGGED_IN)
  assert.ok(items(industry).every((item) => (item['industryIDs'] as unknown[]).includes('23000000000')))
})

test('GetHashtagList: agw-js-conv: str turns 64-bit numbers into strings', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const body = { timeRange: 7, countryCode: 'US', page: 1, limit: 20 }
  const numbers = items(await post(url, PATHS.hashtagList, body, LOGGED_IN))
  const strings = items(await post(url, PATHS.hashtagList, body, { ...LOGGED_IN, ...STR }))
  for (const [i, item] of strings.entries()) {
    const plain = numbers[i] ?? {}
    for (const field of ['publishCnt', 'vv', 'rankIndex']) {
      assert.equal(typeof item[field], 'string', field)
      assert.equal(typeof plain[field], 'number', field)
      assert.equal(item[field], String(plain[field]))
    }
    assert.equal(typeof objects(item['popularityCurve'])[0]?.['timestamp'], 'string')
    assert.equal(typeof objects(plain['popularityCurve'])[0]?.['timestamp'], 'number')
  }
})

test('GetHashtagList: malformed bodies answer StatusCode 40000 InvalidParam', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  for (const body of ['not json', '[1]', { timeRange: 120 }, { timeRange: 7, countryCode: 'United States' }, { page: 0 }, { limit: 'x' }]) {
    const reply = await post(url, PATHS.hashtagList, body)
    assert.equal(reply.status, 200)
    assert.deepEqual(reply.body, { BaseResp: { StatusCode: 40000, StatusMessage: 'InvalidParam' } }, JSON.stringify(body))
  }
  const asText = await post(url, PATHS.hashtagList, { timeRange: '30', countryCode: 'us', page: '1', limit: '5' }, LOGGED_IN)
  assert.equal(items(asText).length, 5)
})

test('GetTopContentsOverview: the last daily, weekly and monthly period ends (UTC midnights)', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const plain = await get(url, PATHS.overview)
  assert.deepEqual(plain.body, {
    BaseResp: { StatusCode: 0, StatusMessage: '' },
    lastDailyEndTimestamp: DAILY,
    lastWeeklyEndTimestamp: WEEKLY,
    lastMonthlyEndTimestamp: MONTHLY,
  })
  const strings = await get(url, PATHS.overview, STR)
  assert.equal(strings.body['lastDailyEndTimestamp'], String(DAILY))
})

test(
  'CreativeCenterGetTopContentsList: entity shape, bare 64-bit ids without agw-js-conv, strings with it',
  { timeout: 10_000 },
  async (t) => {
    const url = await startSimulator(t)
    const params = {
      periodDimension: 5,
      periodEndTimestamp: DAILY,
      orderByMetric: 1,
      countryCode: 'US',
      contentLabelIDs: '',
      organicOnly: false,
    }
    const plain = await get(url, `${PATHS.contents}${query({ ...params, limit: 20, page: 1 })}`)
    assert.deepEqual(Object.keys(plain.body), ['BaseResp', 'entityInfos', 'pagination'])
    assert.deepEqual(plain.body['pagination'], { page: 1, limit: 20, totalCount: 100, hasMore: true })
    for (const field of ['itemID', 'authorID']) {
      const bare = [...plain.text.matchAll(new RegExp(`"${field}":(\\d+),`, 'g'))].map((match) => match[1] ?? '')
      assert.equal(bare.length, 20, field)
      assert.ok(
        bare.every((digits) => digits.length === 19),
        field,
      )
    }
    assert.match(plain.text, /"creatorID":\d{18},/)
    const entity = items(plain, 'entityInfos')[0] ?? {}
    assert.deepEqual(Object.keys(entity), ['itemInfo', 'itemAuthorInfo', 'itemAuthorMetrics', 'itemMetrics'])
    assert.deepEqual(Object.keys(obj(entity['itemInfo'])), [
      'itemID',
      'authorID',
      'creatorID',
      'title',
      'coverURL',
      'videoURL',
      'createTime',
      'contentType',
    ])
    assert.deepEqual(Object.keys(obj(entity['itemAuthorInfo'])), ['handlerName', 'nickName', 'avatarURI', 'bio'])
    assert.deepEqual(Object.keys(obj(entity['itemMetrics'])), ['videoViews', 'organicVideoViews', 'engagementRate', 'sixSecondsVTR'])

    const strings = await get(url, `${PATHS.contents}${query({ ...params, limit: 20, page: 1 })}`, STR)
    assert.equal([...strings.text.matchAll(/"itemID":"(\d{19})"/g)].length, 20)
    assert.doesNotMatch(strings.text, /"(itemID|authorID|creatorID)":\d/)
    assert.equal(strings.text.replace(/"(\d+)"/g, '$1'), plain.text.replace(/"(\d+)"/g, '$1'), 'same data, only quoting differs')

    const capped = await get(url, `${PATHS.contents}${query({ ...params, limit: 100, page: 5 })}`)
    assert.equal(items(capped, 'entityInfos').length, 20)
    assert.deepEqual(capped.body['pagination'], { page: 5, limit: 20, totalCount: 100, hasMore: false })
    const labelled = await get(url, `${PATHS.contents}${query({ ...params, contentLabelIDs: '11002,11003', limit: 20 })}`)
    const total = Number(obj(labelled.body['pagination'])['totalCount'])
    assert.ok(total >= 30 && total <= 90)
  },
)

test('CreativeCenterGetTopContentsList: malformed or future parameters answer InvalidParam', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  for (const params of [
    { periodDimension: 4 },
    { periodEndTimestamp: DAILY + 86_400 },
    { periodEndTimestamp: DAILY + 3600 },
    { orderByMetric: 9 },
    { contentLabelIDs: 'a,b' },
    { organicOnly: 'maybe' },
    { limit: 0 },
  ]) {
    const reply = await get(url, `${PATHS.contents}${query(params)}`)
    assert.deepEqual(reply.body, { BaseResp: { StatusCode: 40000, StatusMessage: 'InvalidParam' } }, JSON.stringify(params))
  }
  const past = await get(url, `${PATHS.contents}${query({ periodDimension: 3, periodEndTimestamp: WEEKLY })}`)
  assert.equal(items(past, 'entityInfos').length, 20)
})
