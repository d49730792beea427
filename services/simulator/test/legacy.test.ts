import { test } from 'node:test'
import assert from 'node:assert/strict'
import { REQUEST_ID_PATTERN } from '../src/request-id.ts'
import { arr, get, legacyGet, legacyList, legacyPagination, obj, objects, PATHS, startSimulator } from './helpers.ts'

const TODAY = Date.UTC(2026, 2, 12) / 1000

const ENDPOINTS = [
  { path: PATHS.hashtags, listKey: 'list', cap: 50, total: 100, params: { period: 7, country_code: 'US' } },
  { path: PATHS.sounds, listKey: 'sound_list', cap: 20, total: 100, params: { period: 7, rank_type: 'popular', country_code: 'GB' } },
  { path: PATHS.creators, listKey: 'creators', cap: 50, total: 459, params: { sort_by: 'follower', creator_country: 'US' } },
  { path: PATHS.keywords, listKey: 'keyword_list', cap: 50, total: 500, params: { period: 30, country_code: 'JP' } },
]

test('each size-paginated legacy endpoint: envelope, list key, pagination, total and limit cap', { timeout: 20_000 }, async (t) => {
  const url = await startSimulator(t)
  for (const endpoint of ENDPOINTS) {
    const first = await legacyGet(url, endpoint.path, endpoint.params)
    assert.equal(first.status, 200)
    assert.match(first.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(Object.keys(first.body), ['code', 'msg', 'request_id', 'data'], endpoint.path)
    assert.equal(first.body['code'], 0)
    assert.equal(first.body['msg'], 'OK')
    assert.match(String(first.body['request_id']), REQUEST_ID_PATTERN)
    assert.ok(String(first.body['request_id']).startsWith('20260312081544'))
    assert.deepEqual(Object.keys(obj(first.body['data'])).sort(), [endpoint.listKey, 'pagination'].sort())
    assert.equal(legacyList(first, endpoint.listKey).length, 20, `${endpoint.path} default limit`)
    assert.deepEqual(legacyPagination(first), { page: 1, size: 20, total: endpoint.total, has_more: true })

    const capped = await legacyGet(url, endpoint.path, { ...endpoint.params, limit: 500 })
    assert.equal(legacyList(capped, endpoint.listKey).length, endpoint.cap, `${endpoint.path} cap`)
    assert.equal(legacyPagination(capped)['size'], endpoint.cap)

    const lastPage = Math.ceil(endpoint.total / endpoint.cap)
    const last = await legacyGet(url, endpoint.path, { ...endpoint.params, limit: endpoint.cap, page: lastPage })
    assert.equal(legacyList(last, endpoint.listKey).length, endpoint.total - (lastPage - 1) * endpoint.cap)
    assert.equal(legacyPagination(last)['has_more'], false)
    const beyond = await legacyGet(url, endpoint.path, { ...endpoint.params, limit: endpoint.cap, page: lastPage + 1 })
    assert.equal(legacyList(beyond, endpoint.listKey).length, 0)
  }
})

test('hashtag/list: 100 distinct ranked hashtags with the documented fields and types', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const pages = await Promise.all([1, 2].map((page) => legacyGet(url, PATHS.hashtags, { period: 30, country_code: 'US', limit: 50, page })))
  const items = pages.flatMap((page) => legacyList(page, 'list'))
  assert.equal(new Set(items.map((item) => item['hashtag_id'])).size, 100)
  assert.deepEqual(
    items.map((item) => item['rank']),
    Array.from({ length: 100 }, (_, i) => i + 1),
  )
  for (const item of items) {
    assert.match(String(item['hashtag_id']), /^\d{5,19}$/)
    assert.equal(typeof item['hashtag_name'], 'string')
    assert.deepEqual(item['country_info'], { id: 'US', value: 'United States', label: 'US' })
    assert.equal(typeof item['is_promoted'], 'boolean')
    assert.ok(Number.isInteger(item['publish_cnt']) && Number.isInteger(item['video_views']))
    const trend = objects(item['trend'])
    assert.equal(trend.length, 30)
    assert.equal(trend.at(-1)?.['time'], TODAY)
    assert.ok(trend.every((point) => Number(point['time']) % 86_400 === 0 && Number(point['value']) >= 0 && Number(point['value']) <= 1))
    assert.equal(Math.max(...trend.map((point) => Number(point['value']))), 1)
    if (item['rank_diff'] === undefined) assert.equal(item['rank_diff_type'], 4)
    else assert.ok([1, 2, 3].includes(Number(item['rank_diff_type'])))
  }
  const withIndustry = items.filter((item) => item['industry_info'] !== undefined)
  assert.ok(withIndustry.length > 30 && withIndustry.length < 100, 'industry_info is absent on some items')
  const info = obj(withIndustry[0]?.['industry_info'])
  assert.equal(typeof info['id'], 'number')
  assert.equal(info['label'], `label_${String(info['id'])}`)
  assert.match(pages[0]?.text ?? '', /"industry_info":\{"id":\d{11},"value":"/)
  assert.ok(items.some((item) => item['creators'] === undefined) && items.some((item) => Array.isArray(item['creators'])))

  const weekly = await legacyGet(url, PATHS.hashtags, { period: 120, limit: 1 })
  const weeklyTrend = objects(legacyList(weekly, 'list')[0]?.['trend'])
  assert.equal(weeklyTrend.length, 18)
  assert.equal(Number(weeklyTrend[1]?.['time']) - Number(weeklyTrend[0]?.['time']), 7 * 86_400)
  const filtered = await legacyGet(url, PATHS.hashtags, { industry_id: '22000000000', limit: 50 })
  assert.ok(legacyList(filtered, 'list').every((item) => obj(item['industry_info'])['id'] === 22000000000))
})

test(
  'sound/rank_list: related_items[].item_id is a bare 19-digit JSON number; clip_id and song_id are strings',
  { timeout: 10_000 },
  async (t) => {
    const url = await startSimulator(t)
    const reply = await legacyGet(url, PATHS.sounds, { country_code: 'US', limit: 20 })
    const bare = [...reply.text.matchAll(/"item_id":(\d+)[,}]/g)].map((match) => match[1] ?? '')
    assert.ok(bare.length >= 20, `found ${bare.length} bare item_ids`)
    assert.ok(bare.every((digits) => digits.length === 19))
    assert.doesNotMatch(reply.text, /"item_id":"/)
    // The reason the pipeline needs a lossless parser: JSON.parse rounds them.
    assert.ok(bare.some((digits) => String(Number(digits)) !== digits))
    for (const sound of legacyList(reply, 'sound_list')) {
      assert.match(String(sound['clip_id']), /^\d{19}$/)
      assert.match(String(sound['song_id']), /^\d{19}$/)
      assert.equal(sound['link'], `https://www.tiktok.com/music/x-${String(sound['clip_id'])}`)
      assert.equal(sound['country_code'], 'US')
      assert.equal(typeof sound['rank_diff'], 'number')
      const music = sound['music_url']
      assert.ok(music === null || (typeof music === 'string' && music.endsWith('.mp3')))
    }
    const commercial = await legacyGet(url, PATHS.sounds, { commercial_music: true, limit: 20 })
    assert.ok(legacyList(commercial, 'sound_list').every((sound) => sound['if_cml'] === true))
  },
)

test('creator/list sorts by the chosen metric; popular_trend/list uses the videos pagination keys', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const creators = legacyList(await legacyGet(url, PATHS.creators, { sort_by: 'follower', limit: 50 }), 'creators')
  const followers = creators.map((creator) => Number(creator['follower_cnt']))
  assert.deepEqual(
    followers,
    [...followers].sort((a, b) => b - a),
  )
  for (const creator of creators) {
    assert.match(String(creator['tcm_id']), /^\d{19}$/)
    assert.match(String(creator['tt_link']), /^https:\/\/www\.tiktok\.com\/@[a-z0-9._]+$/)
    assert.equal(objects(creator['items']).length, 3)
    assert.ok(objects(creator['items']).every((item) => typeof item['item_id'] === 'string' && Number.isInteger(item['vv'])))
  }
  const byViews = legacyList(await legacyGet(url, PATHS.creators, { sort_by: 'avg_views', limit: 50 }), 'creators')
  const averages = byViews.map((creator) => objects(creator['items']).reduce((sum, item) => sum + Number(item['vv']), 0) / 3)
  assert.ok(averages.every((value, i) => i === 0 || value <= (averages[i - 1] ?? Infinity)))

  const videos = await legacyGet(url, PATHS.videos, { period: 7, order_by: 'like', country_code: 'SA', limit: 100 })
  assert.deepEqual(Object.keys(obj(videos.body['data'])), ['pagination', 'videos'])
  assert.deepEqual(legacyPagination(videos), { has_more: true, limit: 20, page: 1, total_count: 500 })
  for (const video of legacyList(videos, 'videos')) {
    assert.equal(video['id'], video['item_id'])
    assert.equal(video['region'], 'Saudi Arabia')
    assert.ok(String(video['item_url']).endsWith(`/video/${String(video['item_id'])}`))
    assert.equal(video['video_views'], undefined, 'no counts in legacy video items')
  }
  const last = await legacyGet(url, PATHS.videos, { limit: 20, page: 25 })
  assert.equal(legacyPagination(last)['has_more'], false)
  assert.equal(legacyList(last, 'videos').length, 20)
})

test('script/keyword/list orders by order_by/order_type and carries 5 video ids per keyword', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const asc = legacyList(await legacyGet(url, PATHS.keywords, { order_by: 'ctr', order_type: 'asc', limit: 50 }), 'keyword_list')
  const ctrs = asc.map((item) => Number(item['ctr']))
  assert.deepEqual(
    ctrs,
    [...ctrs].sort((a, b) => a - b),
  )
  for (const item of asc) {
    assert.deepEqual(Object.keys(item), [
      'keyword',
      'post',
      'post_change',
      'ctr',
      'cvr',
      'cpa',
      'cost',
      'impression',
      'play_six_rate',
      'like',
      'share',
      'comment',
      'video_list',
    ])
    const videoIds = arr(item['video_list'])
    assert.equal(videoIds.length, 5)
    assert.ok(videoIds.every((id) => typeof id === 'string' && /^\d{19}$/.test(id)))
  }
  const filtered = await legacyGet(url, PATHS.keywords, { industry: '14000000000,27000000000', objective: 3, keyword_type: 1 })
  assert.equal(legacyList(filtered, 'keyword_list').length, 20)
})

test('malformed parameters answer code 40000 "invalid param" with HTTP 200', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  const cases: [string, Record<string, string | number>][] = [
    [PATHS.hashtags, { page: 0 }],
    [PATHS.hashtags, { limit: 'abc' }],
    [PATHS.hashtags, { period: 8 }],
    [PATHS.hashtags, { country_code: 'USA' }],
    [PATHS.hashtags, { industry_id: '99' }],
    [PATHS.sounds, { rank_type: 'breakout' }],
    [PATHS.creators, { sort_by: 'likes' }],
    [PATHS.videos, { period: 120 }],
    [PATHS.keywords, { order_type: 'up' }],
    [PATHS.keywords, { objective: 6 }],
  ]
  for (const [path, params] of cases) {
    const reply = await legacyGet(url, path, params)
    assert.equal(reply.status, 200)
    assert.equal(reply.body['code'], 40000, `${path} ${JSON.stringify(params)}`)
    assert.equal(reply.body['msg'], 'invalid param')
    assert.equal(reply.body['data'], null)
  }
})

test('unknown paths and wrong methods answer 404 with an HTML page', { timeout: 10_000 }, async (t) => {
  const url = await startSimulator(t)
  for (const [path, method] of [
    ['/creative_radar_api/v1/popular_trend/music/list', 'GET'],
    ['/', 'GET'],
    [PATHS.hashtags, 'POST'],
    [PATHS.hashtagList, 'GET'],
  ] as const) {
    const response = await fetch(`${url}${path}`, { method })
    assert.equal(response.status, 404, `${method} ${path}`)
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(await response.text(), /<h1>404 Not Found<\/h1>/)
  }
  assert.equal((await get(url, PATHS.overview)).status, 200, 'a known GET path still works')
})
