import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ReportData } from '../../src/report/data.ts'
import { escapeHtml, renderReport } from '../../src/report/html.ts'

test('escapeHtml: the five characters that can open markup or end an attribute; everything else as given', () => {
  assert.equal(escapeHtml(`<b class="x">Tom & 'Jerry'</b>`), '&lt;b class=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;')
  assert.equal(escapeHtml('#fyp 🐈 مرحبا 日本'), '#fyp 🐈 مرحبا 日本')
  assert.equal(escapeHtml('&amp;'), '&amp;amp;', 'text, not markup: an entity is escaped again')
})

const NAME = '<img src=x onerror=alert(1)> "quoted"'

const DATA: ReportData = {
  generatedAt: '2026-12-01T21:04:05.678Z',
  latestDate: '2026-12-01',
  charts: [
    {
      snapshot: {
        chart_id: 'hashtags-legacy/all/7/all/sort_by=popular',
        data_date: '2026-12-01',
        kind: 'hashtag',
        country: '',
        period: 7,
        industry: '',
        endpoint: 'hashtags-legacy',
        items: '100',
        pages: '2',
        last_fetched_at: '2026-12-01 21:00:00.000',
        complete: true,
        reason: 'complete',
      },
      trajectories: [
        {
          name: NAME,
          points: [
            { date: '2026-11-30', rank: 3 },
            { date: '2026-12-01', rank: 1 },
          ],
        },
      ],
      newEntries: [],
      exits: [{ name: 'gone', rank: 4 }],
      breakouts: [
        { name: 'rocket', rank: 3, why: 'rank', perDay: 6.25 },
        { name: 'buzz', rank: 7, why: 'curve', perDay: 12 },
      ],
      movers: [
        { name: 'up', rank: 2, rankChange: 4 },
        { name: 'down', rank: 9, rankChange: -2 },
      ],
    },
  ],
  coverage: [
    { endpoint: 'hashtags', country: 'US', period: '7', fetches: 12, failed: 1, items: 600, lastFetch: '2026-12-01 21:00:00.123' },
    { endpoint: 'sounds', country: '', period: '', fetches: 3, failed: 0, items: 90, lastFetch: '2026-12-01 20:59:00' },
  ],
  snapshots: [
    {
      chart_id: 'hashtags-creative-one/US/7/all',
      complete: 0,
      partial: 3,
      reasons: ['logged_out_cap'],
      latest: '2026-12-01',
      latestComplete: false,
    },
    {
      chart_id: 'creators-legacy/US/all/all/sort_by=follower',
      complete: 2,
      partial: 1,
      reasons: ['max_pages', 'page_failed'],
      latest: '2026-12-01',
      latestComplete: true,
    },
    {
      chart_id: 'hashtags-legacy/US/7/all/sort_by=popular',
      complete: 5,
      partial: 0,
      reasons: [],
      latest: '2026-12-01',
      latestComplete: true,
    },
  ],
}

test('the report: upstream names escaped wherever they appear, never as markup', () => {
  const html = renderReport(DATA)
  assert.ok(!html.includes('<img'), 'no markup from upstream')
  assert.ok(html.includes('<bdi>&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;</bdi>'), 'the legend shows the name as text')
  assert.ok(html.includes('data-name="&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;"'), 'and the attribute cannot be closed')
})

test('the report: chart title, rank change arrows, empty sections and the fetch coverage as numbers', () => {
  const html = renderReport(DATA)
  assert.match(html, /<title>TikTok Creative Center trends · 2026-12-01<\/title>/)
  assert.match(html, /generated 2026-12-01 21:04 UTC/)
  assert.match(
    html,
    /<h2>hashtags · all countries · 7 days · all industries <small>hashtags-legacy\/all\/7\/all\/sort_by=popular · snapshot 2026-12-01, complete, 100 items, fetched 2026-12-01 21:00 UTC<\/small><\/h2>/,
  )
  assert.match(html, /<td class="rank">#3<\/td><td><bdi>rocket<\/bdi><\/td><td class="up">▲ 6\.3 places\/day<\/td>/)
  assert.match(html, /<td class="rank">#7<\/td><td><bdi>buzz<\/bdi><\/td><td class="up">curve \+12\.0\/day<\/td>/)
  assert.match(
    html,
    /<table class="exits"><tr><td class="rank">#4<\/td><td><bdi>gone<\/bdi><\/td><\/tr><\/table>/,
    'exits at the rank they left',
  )
  assert.match(html, /<td class="rank">#2<\/td><td><bdi>up<\/bdi><\/td><td class="up">▲ 4<\/td>/)
  assert.match(html, /<td class="rank">#9<\/td><td><bdi>down<\/bdi><\/td><td class="down">▼ 2<\/td>/)
  assert.match(html, /<h3>New entries<\/h3><p class="empty">None since the snapshot before\.<\/p>/, 'no new entries')
  assert.match(
    html,
    /<tr><td>hashtags<\/td><td>US<\/td><td>7<\/td><td class="n">12<\/td><td class="n bad">1<\/td><td class="n">600<\/td><td>2026-12-01 21:00<\/td><\/tr>/,
  )
  assert.match(html, /<tr><td>sounds<\/td><td>—<\/td><td>—<\/td><td class="n">3<\/td><td class="n">0<\/td>/, 'no country or period: a dash')
  assert.equal(html.match(/<circle /g)?.length, 2, 'a dot per point')
})

test('coverage shows partial snapshots apart from complete ones: which charts, how many, why', () => {
  const html = renderReport(DATA)
  const partial = /<table class="snapshots-partial">(.*?)<\/table>/.exec(html)?.[1] ?? ''
  assert.match(
    partial,
    /<tr><td>hashtags-creative-one\/US\/7\/all<\/td><td class="n bad">3<\/td><td>logged_out_cap<\/td><td class="n">0<\/td><td>2026-12-01 <span class="partial">partial<\/span><\/td><\/tr>/,
  )
  assert.match(partial, /creators-legacy\/US\/all\/all\/sort_by=follower<\/td><td class="n bad">1<\/td><td>max_pages, page_failed<\/td>/)
  assert.doesNotMatch(partial, /hashtags-legacy/)
  const complete = /<table class="snapshots-complete">(.*?)<\/table>/.exec(html)?.[1] ?? ''
  assert.match(complete, /<tr><td>hashtags-legacy\/US\/7\/all\/sort_by=popular<\/td><td class="n">5<\/td><td>2026-12-01<\/td><\/tr>/)
  assert.doesNotMatch(complete, /creative-one|creators/)
})

test('the report of an empty store says so instead of drawing nothing', () => {
  const html = renderReport({ generatedAt: '2026-12-01T00:00:00Z', latestDate: null, charts: [], coverage: [], snapshots: [] })
  assert.match(html, /<title>TikTok Creative Center trends<\/title>/)
  assert.match(html, /Latest upstream data: none/)
  assert.match(html, /No observations in ClickHouse yet\./)
  assert.match(html, /No fetches in the period\./)
})

test('a partial snapshot is shown as such, with no entries, exits or movers worked out from it', () => {
  const chart = DATA.charts[0]!
  const html = renderReport({ ...DATA, charts: [{ ...chart, snapshot: { ...chart.snapshot, complete: false, reason: 'max_pages' } }] })
  assert.match(html, /snapshot 2026-12-01, partial \(max_pages\), 100 items/)
  assert.match(html, /<p class="partial">A partial snapshot \(max_pages\): no changes are worked out from it\.<\/p>/)
  assert.doesNotMatch(html, /<table class="(new|exits|movers|breakouts)"/)
})
