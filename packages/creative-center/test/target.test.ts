import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ENDPOINTS, findEndpoint, type EndpointDef } from '../src/endpoints.ts'
import { chartId, chartOfRequest, describeTarget, naturalKey, targetProblems, upstreamParams } from '../src/target.ts'

function endpoint(name: string): EndpointDef {
  const found = findEndpoint(name)
  assert.ok(found, name)
  return found
}

test('every endpoint definition is complete and names one family and generation', () => {
  const names = new Set<string>()
  for (const def of ENDPOINTS) {
    assert.ok(!names.has(def.name), `unique name ${def.name}`)
    names.add(def.name)
    assert.ok(def.path.startsWith('/'))
    assert.ok(def.listPath.length > 0 && def.idPath.length > 0)
    assert.ok(def.pageSizeCap > 0)
    for (const key of def.keyFilters) assert.ok(key in def.filters, `${def.name} key filter ${key} is a filter`)
  }
  assert.deepEqual([...new Set(ENDPOINTS.map((def) => def.family))].sort(), ['creator', 'hashtag', 'keyword', 'sound', 'video'])
})

test('unknown countries, periods and filters are refused with the valid values listed', () => {
  const problems = targetProblems({
    endpoint: endpoint('hashtags-creative-one'),
    country: 'XX',
    period: '120',
    filters: { sort_by: 'popular' },
  })
  assert.equal(problems.length, 3)
  assert.match(problems[0] ?? '', /unknown country "XX"; valid: US, FR, DE/)
  assert.match(problems[1] ?? '', /unknown period "120"; valid: 7, 30, 90/)
  assert.match(problems[2] ?? '', /unknown filter sort_by; valid: \(none\)/)
  assert.deepEqual(targetProblems({ endpoint: endpoint('creators-legacy'), country: 'US', period: '7' }), [
    'endpoint creators-legacy has no period; remove period 7',
  ])
  assert.match(
    targetProblems({ endpoint: endpoint('sounds-legacy'), period: '7', filters: { rank_type: 'new' } })[0] ?? '',
    /valid: popular, surging/,
  )
  assert.deepEqual(targetProblems({ endpoint: endpoint('hashtags-legacy'), country: 'US', period: '7', industry: '22000000000' }), [])
})

test('upstream parameters: each endpoint its own names, defaults filled in, the page size capped', () => {
  assert.deepEqual(upstreamParams({ endpoint: endpoint('hashtags-legacy'), country: 'US', period: '7', industry: '22000000000' }, 2, 100), {
    sort_by: 'popular',
    country_code: 'US',
    period: '7',
    industry_id: '22000000000',
    page: '2',
    limit: '50',
  })
  assert.deepEqual(upstreamParams({ endpoint: endpoint('creators-legacy'), country: 'GB' }, 1, 20), {
    sort_by: 'follower',
    creator_country: 'GB',
    page: '1',
    limit: '20',
  })
  assert.deepEqual(
    upstreamParams({ endpoint: endpoint('videos-creative-one'), country: 'US', period: '30' }, 1, 20, { periodEndTimestamp: '1784764800' }),
    {
      orderByMetric: '1',
      contentLabelIDs: '',
      organicOnly: 'false',
      countryCode: 'US',
      periodDimension: '5',
      page: '1',
      limit: '20',
      periodEndTimestamp: '1784764800',
    },
  )
})

test('record keys: family, the chart axes and key filters, then the id', () => {
  assert.equal(
    naturalKey({ endpoint: endpoint('hashtags-legacy'), country: 'US', period: '7' }, '1658723914285062'),
    'hashtag:US:7:all:all:1658723914285062',
  )
  assert.equal(
    naturalKey({ endpoint: endpoint('hashtags-creative-one'), country: 'US', period: '7', industry: '23000000000' }, '42'),
    'hashtag:US:7:23000000000:42',
  )
  assert.equal(
    naturalKey({ endpoint: endpoint('sounds-legacy'), country: 'GB', period: '30' }, '7601839254718220304'),
    'sound:GB:30:popular:all:all:7601839254718220304',
  )
  assert.equal(
    naturalKey({ endpoint: endpoint('creators-legacy'), country: 'US' }, '7209948812345678901'),
    'creator:US:follower:all:7209948812345678901',
  )
  assert.equal(
    naturalKey({ endpoint: endpoint('videos-legacy'), country: 'US', period: '7' }, '7605512345678901234'),
    'video:US:7:vv:7605512345678901234',
  )
})

test('a target has one stable text form whatever order its filters were given in', () => {
  const def = endpoint('sounds-legacy')
  assert.equal(
    describeTarget({ endpoint: def, country: 'US', period: '7', filters: { rank_type: 'surging', new_on_board: 'true' } }),
    describeTarget({ endpoint: def, country: 'US', period: '7', filters: { new_on_board: 'true', rank_type: 'surging' } }),
  )
})

test('chart ids: endpoint, axes and the filters sent (defaults included), readable and apart for every list', () => {
  const hashtags = endpoint('hashtags-legacy')
  assert.equal(chartId({ endpoint: hashtags, country: 'US', period: '7' }), 'hashtags-legacy/US/7/all/sort_by=popular')
  assert.equal(
    chartId({ endpoint: hashtags, country: 'US', period: '7', industry: '22000000000', filters: { filter_by: 'new_on_board' } }),
    'hashtags-legacy/US/7/22000000000/filter_by=new_on_board/sort_by=popular',
  )
  assert.equal(
    chartId({ endpoint: endpoint('hashtags-creative-one'), country: 'US', period: '7' }),
    'hashtags-creative-one/US/7/all',
    'the other generation of the same country and period is another chart',
  )
  assert.equal(chartId({ endpoint: endpoint('creators-legacy'), country: 'US' }), 'creators-legacy/US/all/all/sort_by=follower')
  // Filter order does not matter; a value with a slash stays one part.
  const sounds = endpoint('sounds-legacy')
  assert.equal(
    chartId({ endpoint: sounds, country: 'GB', period: '30', filters: { rank_type: 'surging', new_on_board: 'true' } }),
    chartId({ endpoint: sounds, country: 'GB', period: '30', filters: { new_on_board: 'true', rank_type: 'surging' } }),
  )
  const videos = endpoint('videos-creative-one')
  const slashed = chartId({ endpoint: videos, country: 'US', period: '7', filters: { contentLabelIDs: 'a/b' } })
  assert.match(slashed, /contentLabelIDs=a%2Fb/)
  // Every chart of every endpoint has its own id: no two targets that fetch different lists share one.
  const ids = new Set<string>()
  let targets = 0
  for (const def of ENDPOINTS) {
    for (const period of def.period === null ? [undefined] : Object.keys(def.period.values)) {
      for (const industry of def.industry === null ? [undefined] : [undefined, '22000000000']) {
        targets++
        ids.add(chartId({ endpoint: def, country: def.country?.values[0], period, industry }))
      }
    }
  }
  assert.equal(ids.size, targets)
})

test("a page's chart from its endpoint, axes and upstream parameters is the chart its target names", () => {
  for (const def of ENDPOINTS) {
    const period = def.period === null ? undefined : Object.keys(def.period.values)[0]
    const target = { endpoint: def, country: def.country?.values[0], period, industry: def.industry === null ? undefined : '22000000000' }
    const params = upstreamParams(target, 2, 20)
    const axes = { country: target.country ?? null, period: target.period ?? null, industry: target.industry ?? null }
    assert.equal(chartOfRequest(def, axes, params), chartId(target), def.name)
  }
})
