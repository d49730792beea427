import { chartName, snapshotState } from '../charts.ts'
import type { ChartReport, ReportData } from './data.ts'

/** Text for HTML: every name comes from upstream and may hold markup, RTL text or emoji. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d']

/** Rank over time, rank 1 on top; one line per item, dates on the x axis. */
function trajectorySvg(chart: ChartReport): string {
  const dates = [...new Set(chart.trajectories.flatMap((item) => item.points.map((point) => point.date)))].sort()
  const ranks = chart.trajectories.flatMap((item) => item.points.map((point) => point.rank))
  if (dates.length === 0 || ranks.length === 0) return '<p class="empty">No ranks yet.</p>'
  const width = 640
  const height = 260
  const pad = { left: 44, right: 16, top: 16, bottom: 40 }
  const maxRank = Math.max(...ranks, 1)
  const x = (date: string) =>
    pad.left +
    (dates.length === 1 ? (width - pad.left - pad.right) / 2 : (dates.indexOf(date) * (width - pad.left - pad.right)) / (dates.length - 1))
  const y = (rank: number) => pad.top + (maxRank === 1 ? 0 : ((rank - 1) * (height - pad.top - pad.bottom)) / (maxRank - 1))
  const axis = [
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" class="axis"/>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" class="axis"/>`,
    `<text x="${pad.left - 8}" y="${y(1) + 4}" text-anchor="end">#1</text>`,
    `<text x="${pad.left - 8}" y="${y(maxRank) + 4}" text-anchor="end">#${maxRank}</text>`,
    ...dates.map((date, i) =>
      i === 0 || i === dates.length - 1 || dates.length <= 7
        ? `<text x="${x(date)}" y="${height - pad.bottom + 18}" text-anchor="middle">${escapeHtml(date.slice(5))}</text>`
        : '',
    ),
  ]
  const lines = chart.trajectories.map((item, i) => {
    const color = COLORS[i % COLORS.length]!
    const coords = item.points.map((point) => `${x(point.date).toFixed(1)},${y(point.rank).toFixed(1)}`).join(' ')
    const dots = item.points
      .map((point) => `<circle cx="${x(point.date).toFixed(1)}" cy="${y(point.rank).toFixed(1)}" r="3" fill="${color}"/>`)
      .join('')
    return `<g class="item" data-name="${escapeHtml(item.name)}"><polyline points="${coords}" fill="none" stroke="${color}" stroke-width="2"/>${dots}</g>`
  })
  const legend = chart.trajectories
    .map(
      (item, i) =>
        `<li><span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span><bdi>${escapeHtml(item.name)}</bdi></li>`,
    )
    .join('')
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="rank over time">${axis.join('')}${lines.join('')}</svg><ul class="legend">${legend}</ul>`
}

function list(items: Array<{ name: string; rank: number; rankChange?: number }>, empty: string, className: string): string {
  if (items.length === 0) return `<p class="empty">${empty}</p>`
  const rows = items.map((item) => {
    const change =
      item.rankChange === undefined
        ? ''
        : `<td class="${item.rankChange > 0 ? 'up' : 'down'}">${item.rankChange > 0 ? '▲' : '▼'} ${Math.abs(item.rankChange)}</td>`
    return `<tr><td class="rank">#${item.rank}</td><td><bdi>${escapeHtml(item.name)}</bdi></td>${change}</tr>`
  })
  return `<table class="${className}">${rows.join('')}</table>`
}

/** Breakouts with how fast each rises: places a day on the chart, or points a day on its popularity curve. */
function breakoutList(items: ChartReport['breakouts']): string {
  if (items.length === 0) return '<p class="empty">None rising faster than the thresholds.</p>'
  const rows = items.map((item) => {
    const speed = item.why === 'rank' ? `▲ ${item.perDay.toFixed(1)} places/day` : `curve +${item.perDay.toFixed(1)}/day`
    return `<tr><td class="rank">#${item.rank}</td><td><bdi>${escapeHtml(item.name)}</bdi></td><td class="up">${speed}</td></tr>`
  })
  return `<table class="breakouts">${rows.join('')}</table>`
}

function chartSection(chart: ChartReport): string {
  const { snapshot } = chart
  // Changes come from complete snapshots only: a partial one would read as exits of all it missed.
  const changes = snapshot.complete
    ? `<h3>New entries</h3>${list(chart.newEntries, 'None since the snapshot before.', 'new')}` +
      `<h3>Exits</h3>${list(chart.exits, 'None since the snapshot before.', 'exits')}` +
      `<h3>Biggest movers</h3>${list(chart.movers, 'No rank changes.', 'movers')}` +
      `<h3>Breakouts</h3>${breakoutList(chart.breakouts)}`
    : `<p class="partial">A partial snapshot (${escapeHtml(snapshot.reason)}): no changes are worked out from it.</p>`
  return `<section class="chart" data-kind="${escapeHtml(snapshot.kind)}" data-country="${escapeHtml(snapshot.country)}" data-chart="${escapeHtml(snapshot.chart_id)}" data-complete="${snapshot.complete}">
<h2>${escapeHtml(chartName(snapshot))} <small>${escapeHtml(snapshot.chart_id)} · ${escapeHtml(snapshotState(snapshot))}</small></h2>
<div class="grid"><div class="trajectory"><h3>Rank of the top ${chart.trajectories.length} over the last complete snapshots</h3>${trajectorySvg(chart)}</div>
<div>${changes}</div></div>
</section>`
}

function coverageTable(data: ReportData): string {
  if (data.coverage.length === 0) return '<p class="empty">No fetches in the period.</p>'
  const rows = data.coverage.map(
    (row) =>
      `<tr><td>${escapeHtml(row.endpoint)}</td><td>${escapeHtml(row.country || '—')}</td><td>${escapeHtml(row.period || '—')}</td><td class="n">${row.fetches}</td><td class="n${row.failed > 0 ? ' bad' : ''}">${row.failed}</td><td class="n">${row.items}</td><td>${escapeHtml(row.lastFetch.slice(0, 16))}</td></tr>`,
  )
  return `<table class="coverage"><tr><th>endpoint</th><th>country</th><th>period</th><th>fetches</th><th>failed</th><th>items</th><th>last fetch (UTC)</th></tr>${rows.join('')}</table>`
}

/**
 * Snapshots per chart, the partial ones apart: charts with partial snapshots first (how many, and
 * why), then the charts whose snapshots were all complete.
 */
function snapshotTables(data: ReportData): string {
  if (data.snapshots.length === 0) return ''
  const partial = data.snapshots.filter((row) => row.partial > 0)
  const complete = data.snapshots.filter((row) => row.partial === 0)
  const latest = (row: ReportData['snapshots'][number]) =>
    `${escapeHtml(row.latest)}${row.latestComplete ? '' : ' <span class="partial">partial</span>'}`
  const partialTable =
    partial.length === 0
      ? '<p class="empty">Every snapshot of every chart was complete.</p>'
      : `<table class="snapshots-partial"><tr><th>chart</th><th>partial</th><th>why</th><th>complete</th><th>latest</th></tr>${partial
          .map(
            (row) =>
              `<tr><td>${escapeHtml(row.chart_id)}</td><td class="n bad">${row.partial}</td><td>${escapeHtml(row.reasons.join(', '))}</td><td class="n">${row.complete}</td><td>${latest(row)}</td></tr>`,
          )
          .join('')}</table>`
  const completeTable =
    complete.length === 0
      ? ''
      : `<h3>Complete snapshots only</h3><table class="snapshots-complete"><tr><th>chart</th><th>complete</th><th>latest</th></tr>${complete
          .map((row) => `<tr><td>${escapeHtml(row.chart_id)}</td><td class="n">${row.complete}</td><td>${latest(row)}</td></tr>`)
          .join('')}</table>`
  return `<h3>Partial snapshots</h3>${partialTable}${completeTable}`
}

/** One self-contained page: no scripts, no outside files, so it opens anywhere and prints as it shows. */
export function renderReport(data: ReportData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TikTok Creative Center trends${data.latestDate === null ? '' : ` · ${escapeHtml(data.latestDate)}`}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Color Emoji",sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h2 small{color:#6b7280;font-weight:normal}
h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#6b7280;margin:8px 0}
.meta{color:#6b7280}.grid{display:grid;grid-template-columns:2fr 1fr;gap:24px}
svg{width:100%;height:auto;font-size:11px;fill:#6b7280}.axis{stroke:#9ca3af}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;text-align:left;border-bottom:1px solid #f3f4f6}th{color:#6b7280;font-weight:600}
.rank,.n{text-align:right;font-variant-numeric:tabular-nums;width:1%;white-space:nowrap}.up{color:#16a34a}.down{color:#dc2626}.bad{color:#dc2626;font-weight:600}.empty{color:#9ca3af}.partial{color:#b45309}
</style></head>
<body>
<h1>TikTok Creative Center trends</h1>
<p class="meta">Latest upstream data: ${escapeHtml(data.latestDate ?? 'none')} · generated ${escapeHtml(data.generatedAt.slice(0, 16).replace('T', ' '))} UTC · from ClickHouse</p>
${data.charts.length === 0 ? '<p class="empty">No observations in ClickHouse yet.</p>' : data.charts.map(chartSection).join('\n')}
<section class="coverage-section"><h2>Fetch coverage</h2>${snapshotTables(data)}<h3>Fetches</h3>${coverageTable(data)}</section>
</body></html>
`
}
