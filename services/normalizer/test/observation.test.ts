import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Json } from '@trends/creative-center'
import { observe, type RawRecord } from '../src/observation.ts'

const SOURCE = { topic: 'tiktok.raw.hashtags', partition: 0, offset: '7', schemaId: 1 }

function hashtagRecord(params: Record<string, string>, industry: string | null = null): { raw: RawRecord; item: Json } {
  const item = { hashtag_id: '1658723914285062', hashtag_name: 'fyp', rank: 3, publish_cnt: 10, video_views: 20 }
  return {
    item,
    raw: {
      item_json: JSON.stringify(item),
      item_id: '1658723914285062',
      natural_key: 'hashtag:US:7:all:all:1658723914285062',
      family: 'hashtag',
      endpoint: 'hashtags-legacy',
      generation: 'legacy',
      api_path: '/creative_radar_api/v1/popular_trend/hashtag/list',
      request_params: { country_code: 'US', period: '7', page: '1', limit: '50', ...params },
      country: 'US',
      period: '7',
      industry,
      page: 1,
      position: 2,
      http_status: 200,
      request_id: null,
      fetch_id: 'f',
      task_id: 't',
      fetched_at: Date.UTC(2026, 11, 2),
    },
  }
}

test('each observation names its chart; the same item on two charts is two observations, not a repeat', () => {
  const popular = hashtagRecord({ sort_by: 'popular' })
  const fresh = hashtagRecord({ sort_by: 'new' })
  const industry = hashtagRecord({ sort_by: 'popular', industry_id: '22000000000' }, '22000000000')
  const a = observe(popular.raw, popular.item, SOURCE, 0)
  const b = observe(fresh.raw, fresh.item, SOURCE, 0)
  const c = observe(industry.raw, industry.item, SOURCE, 0)
  assert.equal(a.record.chart_id, 'hashtags-legacy/US/7/all/sort_by=popular')
  assert.equal(b.record.chart_id, 'hashtags-legacy/US/7/all/sort_by=new')
  assert.equal(c.record.chart_id, 'hashtags-legacy/US/7/22000000000/sort_by=popular')
  assert.equal(a.record.natural_key, b.record.natural_key, 'one item of one family, country and period')
  assert.equal(new Set([a.dedupKey, b.dedupKey, c.dedupKey]).size, 3)
  assert.equal(observe(popular.raw, popular.item, SOURCE, 5).dedupKey, a.dedupKey, 'the same chart again is the same observation')
})
