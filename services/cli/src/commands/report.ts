import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { clickhouseMessage, resolveClickHouse } from '../clickhouse.ts'
import { CliError, usage } from '../errors.ts'
import { loadReport } from '../report/data.ts'
import { renderReport } from '../report/html.ts'

export const REPORT_HELP = `Usage: trends report [--out trends-report.html] [--png trends-report.png] [--days 14] [--top 8] [--charts 6]

Renders an HTML page from ClickHouse: the --charts busiest charts, each as of its latest complete
snapshot (or its latest partial one, said so), with its top items' ranks over the complete snapshots
of the last --days days, the entries, exits and biggest movers since the snapshot before, and its
breakouts (chart_breakouts in the README); then fetch coverage per endpoint, country and period.
With --png it also writes a screenshot of the page, taken with Chromium (CHROMIUM_PATH, default
/usr/bin/chromium).
`

/** The page as Chromium shows it, full height, as a PNG. */
export async function screenshot(htmlFile: string, pngFile: string): Promise<void> {
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
  if (!existsSync(executablePath))
    throw new CliError(`no Chromium at ${executablePath} (install Debian's chromium package or set CHROMIUM_PATH)`)
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    await page.goto(`file://${path.resolve(htmlFile)}`)
    await page.screenshot({ path: pngFile, fullPage: true })
  } finally {
    await browser.close()
  }
}

export async function report(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string', default: 'trends-report.html' },
      png: { type: 'string' },
      days: { type: 'string', default: '14' },
      top: { type: 'string', default: '8' },
      charts: { type: 'string', default: '6' },
    },
    strict: true,
  })
  const whole = (name: string, value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw usage(`--${name}: a positive whole number (got ${JSON.stringify(value)})`)
    return Number(value)
  }
  const options = { days: whole('days', values.days), top: whole('top', values.top), charts: whole('charts', values.charts) }
  const { client } = await resolveClickHouse()
  let html: string
  try {
    html = renderReport(await loadReport(client, options))
  } catch (error) {
    throw new CliError(`ClickHouse refused a report query: ${clickhouseMessage(error)}`)
  } finally {
    await client.close()
  }
  writeFileSync(values.out, html)
  process.stdout.write(`wrote ${values.out}\n`)
  if (values.png !== undefined) {
    await screenshot(values.out, values.png)
    process.stdout.write(`wrote ${values.png}\n`)
  }
}
