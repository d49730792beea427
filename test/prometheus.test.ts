import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defer, freePort } from '@trends/testing'
import { runEnv, startRun, until } from './support/run.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const MONITORING = path.join(ROOT, 'services/monitoring')

interface Panel {
  title: string
  targets?: Array<{ expr: string }>
}

/**
 * A real Prometheus (Debian's prometheus package) scraping `trends run --simulator` with the
 * shipped alerting rules: on a healthy run every dashboard query answers (a panel reads 0 before
 * the first event, not "No data"), and no alert fires or is pending.
 */
test('Prometheus scrapes a healthy trends run: every dashboard panel has data and no alert fires', { timeout: 240_000 }, async (t) => {
  const env = await runEnv(t, {
    charts: [
      { endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], maxPages: 2 },
      { endpoint: 'sounds-legacy', countries: ['US'], periods: ['7'], filters: { rank_type: 'popular' }, maxPages: 1 },
    ],
  })
  const run = startRun(t, env)
  await until('the top trends', run, () => /top hashtags · US · 7 days/.test(run.output()), 120_000)

  const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-prometheus-'))
  defer(t, () => rmSync(folder, { recursive: true, force: true }))
  const ports = ['PRODUCER', 'NORMALIZER', 'SINK', 'SIGNALS'].map((service) => env[`METRICS_PORT_${service}`]!)
  // The shipped configuration, pointed at this run's ports and evaluated every second.
  const shipped = readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')
  assert.match(shipped, /rule_files:\n {2}- alerts\.yml/)
  writeFileSync(
    path.join(folder, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(path.join(MONITORING, 'alerts.yml'))}]`,
      'scrape_configs:',
      '  - job_name: trends',
      `    static_configs: [{ targets: [${ports.map((port) => `'127.0.0.1:${port}'`).join(', ')}] }]`,
      '',
    ].join('\n'),
  )
  const port = await freePort()
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${path.join(folder, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(folder, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  prometheus.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)))
  const exited = new Promise((resolve) => prometheus.once('exit', resolve))
  prometheus.once('error', (error) => (log += `\n${String(error)}`))
  defer(t, async () => {
    if (prometheus.exitCode === null && prometheus.signalCode === null) {
      prometheus.kill('SIGTERM')
      await exited
    }
  })
  const api = async <T>(query: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/${query}`, { signal: AbortSignal.timeout(5000) })
    const body = (await response.json()) as { status: string; data: T }
    assert.equal(body.status, 'success', query)
    return body.data
  }
  // Every target up, scraped a few times, and the rules evaluated over those scrapes.
  const deadline = Date.now() + 60_000
  for (;;) {
    assert.equal(prometheus.exitCode, null, `prometheus exited:\n${log}`)
    const targets = await api<{ activeTargets: Array<{ health: string; lastError: string }> }>('targets').catch(() => undefined)
    if (targets !== undefined && targets.activeTargets.length === 4 && targets.activeTargets.every((target) => target.health === 'up'))
      break
    if (Date.now() > deadline) assert.fail(`targets not all up: ${JSON.stringify(targets)}\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  await new Promise((resolve) => setTimeout(resolve, 8000))

  const dashboard = JSON.parse(readFileSync(path.join(MONITORING, 'grafana/dashboards/trends.json'), 'utf8')) as { panels: Panel[] }
  const empty: string[] = []
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      const data = await api<{ result: unknown[] }>(`query?query=${encodeURIComponent(target.expr)}`)
      if (data.result.length === 0) empty.push(`${panel.title}: ${target.expr}`)
    }
  }
  assert.deepEqual(empty, [], 'dashboard queries with no data on a healthy run')

  const rules = await api<{ groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }>('rules')
  const loaded = rules.groups.flatMap((group) => group.rules)
  assert.equal(loaded.length, 7, 'the shipped rules are loaded')
  for (const rule of loaded) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? ''}`)
  const alerts = await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('alerts')
  assert.deepEqual(
    alerts.alerts.map((alert) => `${alert.labels['alertname']} ${alert.state} ${JSON.stringify(alert.labels)}`),
    [],
    'no alert fires or is pending on a healthy run',
  )
})
