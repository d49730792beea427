import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { defer } from '@trends/testing'
import { served, trends } from '../support/cli.ts'
import type { CleanedRecord } from '@trends/normalizer'
import { cleanedRecord, fetchLogEntry, loadThroughSink } from '../support/sink.ts'

const DAYS = 5
const isoDate = (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10)

/**
 * A US 7-day hashtag chart over five days, each day's fetch complete but one three days ago: items 0–5 every day with ranks
 * that move, and items 6 and 7 new on the latest day; fetch-log entries for two countries in the
 * last minute, one failed.
 */
function chart() {
  const records: CleanedRecord[] = []
  for (let day = DAYS - 1; day >= 0; day--) {
    for (let i = 0; i < 6; i++) {
      const rank = ((i + day) % 6) + 1
      records.push(cleanedRecord(i, day, { rank, rank_change: day === 0 ? [3, -2, 0, 5, -1, 0][i]! : null, display_name: `Tag ${i} ✨` }))
    }
  }
  records.push(cleanedRecord(6, 0, { rank: 7, rank_change: null, display_name: 'مرحبا <b>new</b>' }))
  records.push(cleanedRecord(7, 0, { rank: 8, rank_change: null, display_name: 'Fresh 7' }))
  const fetch = (i: number, country: string, outcome: string) =>
    fetchLogEntry({
      fetch_id: `f${i}`,
      outcome,
      error_class: outcome === 'ok' ? null : 'CC_SERVER_ERROR',
      http_status: outcome === 'ok' ? 200 : 503,
      latency_ms: 120,
      items: outcome === 'ok' ? 20 : 0,
      request_params: { country_code: country, period: '7' },
      requested_at: Date.now() - 60_000,
      chart_id: '',
    })
  // How each day's chart fetch ended, on its last attempt: within the fetch log's 180-day TTL, before the
  // coverage window. Three days ago a logged-out session got only the upstream's cap of rows.
  const ended = Array.from({ length: DAYS }, (_, day) => ({
    ...fetch(10 + day, 'US', 'ok'),
    task_id: `task-${day}`,
    request_params: {},
    requested_at: Date.now() - (60 - day) * 86_400_000,
    chart_id: records[0]!.chart_id,
    snapshot: day === 3 ? 'logged_out_cap' : 'complete',
  }))
  return {
    records,
    fetchLog: [fetch(1, 'US', 'ok'), fetch(2, 'US', 'ok'), fetch(3, 'GB', 'ok'), fetch(4, 'GB', 'server_error'), ...ended],
  }
}

test(
  'trends report: an HTML page Chromium shows with trajectories, new entries, movers and coverage, and its PNG',
  { timeout: 180_000 },
  async (t) => {
    const { port, path: storePath } = await served(t)
    const { records, fetchLog } = chart()
    const { database } = await loadThroughSink(t, records, fetchLog)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-report-'))
    defer(t, () => rmSync(dir, { recursive: true, force: true }))
    const html = path.join(dir, 'report.html')
    const png = path.join(dir, 'report.png')
    const result = await trends(['report', '--out', html, '--png', png, '--top', '5'], {
      CLICKHOUSE_HTTP_PORT: port,
      CLICKHOUSE_PATH: storePath,
      CLICKHOUSE_DATABASE: database,
    })
    assert.equal(result.code, 0, result.stderr)

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    defer(t, () => browser.close())
    const page = await browser.newPage()
    await page.goto(`file://${html}`)
    assert.equal(await page.locator('h1').textContent(), 'TikTok Creative Center trends')
    const section = page.locator('section.chart')
    assert.equal(await section.count(), 1)
    assert.match(
      (await section.locator('h2').textContent()) ?? '',
      /^hashtags · US · 7 days · all industries hashtags-legacy\/US\/7\/all\/sort_by=popular · snapshot \d{4}-\d{2}-\d{2}, complete, 8 items, /,
    )

    // Today's top five by rank, each a line through its complete snapshots (the partial one is left out).
    const latest = records
      .filter((r) => r.data_date === Math.max(...records.map((x) => x.data_date ?? 0)))
      .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    const topFive = latest.slice(0, 5)
    assert.deepEqual(
      await section.locator('.legend li').allTextContents(),
      topFive.map((r) => r.display_name),
    )
    const lines = section.locator('svg g.item')
    assert.equal(await lines.count(), 5)
    for (let i = 0; i < 5; i++) {
      const points = ((await lines.nth(i).locator('polyline').getAttribute('points')) ?? '').trim().split(' ')
      assert.equal(points.length, DAYS - 1, `${topFive[i]?.display_name}: one point per complete snapshot`)
    }
    // Rank 1 is drawn highest: the top item's last point sits on the chart's top edge.
    const first = ((await lines.nth(0).locator('polyline').getAttribute('points')) ?? '').trim().split(' ')
    assert.equal(Number(first.at(-1)?.split(',')[1]), 16)

    assert.deepEqual(
      await section.locator('table.new tr td:nth-child(2)').allTextContents(),
      ['مرحبا <b>new</b>', 'Fresh 7'],
      'new today, markup shown as text',
    )
    // Since the day before: tags 0–4 rose one place, tag 5 fell from 1 to 6; the biggest move first, five shown.
    const movers = await section.locator('table.movers tr').allTextContents()
    assert.equal(movers.length, 5)
    assert.match(movers[0] ?? '', /#6Tag 5 ✨▼ 5/)
    for (const mover of movers.slice(1)) assert.match(mover, /Tag [0-4] ✨▲ 1/)
    assert.match((await section.locator('h3:text("Exits") + p').textContent()) ?? '', /None since the snapshot before/)

    const coverage = await page.locator('table.coverage tr').allTextContents()
    assert.equal(coverage.length, 3, 'a header and one row per country')
    assert.match(coverage[1] ?? '', /hashtags-legacyGB71120/, 'GB: one ok fetch of 20 items, one failed')
    assert.match(coverage[2] ?? '', /hashtags-legacyUS72040/)
    assert.equal(await page.locator('table.coverage td.bad').count(), 1)
    // Snapshots: the chart had one partial snapshot (three days ago) and four complete ones; its latest is complete.
    const snapshots = await page.locator('table.snapshots-partial tr').allTextContents()
    assert.deepEqual(snapshots.slice(1), [`${records[0]!.chart_id}1logged_out_cap4${isoDate(latest[0]!.data_date!)}`])
    assert.equal(await page.locator('table.snapshots-complete').count(), 0, 'no chart had complete snapshots only')

    // Names in every script draw with a real glyph in the page's own font stack: Chinese, Korean, Thai,
    // Arabic and emoji each differ from the box a code point no font has draws (private use U+E000)
    // — fonts-noto-cjk, fonts-noto-core, fonts-noto-color-emoji. Another such code point (U+10FFFD)
    // draws the same box: the check can fail.
    const samples = ['春', '愛', '한', 'ไ', 'م', '😀', '\u{10FFFD}']
    const boxes = await page.evaluate<string[]>(`(() => {
      const font = '32px ' + getComputedStyle(document.body).fontFamily
      const draw = (text) => {
        const canvas = document.createElement('canvas')
        canvas.width = 64
        canvas.height = 64
        const context = canvas.getContext('2d')
        context.font = font
        context.fillText(text, 8, 44)
        return Array.from(context.getImageData(0, 0, 64, 64).data).join(',')
      }
      const box = draw('\\uE000')
      return ${JSON.stringify(samples)}.filter((sample) => draw(sample) === box)
    })()`)
    assert.deepEqual(boxes, ['\u{10FFFD}'], 'only the code point no font has draws as a box')

    const image = readFileSync(png)
    assert.equal(image.subarray(1, 4).toString(), 'PNG')
    assert.equal(image.readUInt32BE(16), 1200, 'the screenshot is 1200 px wide')
    assert.ok(image.readUInt32BE(20) > 400, `and ${image.readUInt32BE(20)} px tall`)
  },
)
