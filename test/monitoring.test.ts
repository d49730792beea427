import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { PIPELINE_METRICS } from '@trends/metrics'

const ROOT = path.resolve(import.meta.dirname, '..')

/**
 * Every `trends_*` metric name the services define: the first argument of counter/gauge/histogram,
 * written out or as one of the shared PIPELINE_METRICS names.
 */
function definedMetrics(): Set<string> {
  const names = new Set<string>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry)
      if (entry === 'node_modules' || entry === 'test') continue
      if (statSync(full).isDirectory()) walk(full)
      else if (full.endsWith('.ts'))
        for (const match of readFileSync(full, 'utf8').matchAll(
          /(?:counter|gauge|histogram)\(\s*metrics,\s*(?:'(trends_\w+)'|PIPELINE_METRICS\.(\w+))/g,
        ))
          names.add(match[1] ?? PIPELINE_METRICS[match[2] as keyof typeof PIPELINE_METRICS])
    }
  }
  walk(path.join(ROOT, 'packages'))
  walk(path.join(ROOT, 'services'))
  return names
}

test('the Grafana dashboard queries only metrics the services define, and shows every stage', () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'services/monitoring/grafana/dashboards/trends.json'), 'utf8')) as {
    uid: string
    panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>
  }
  const defined = definedMetrics()
  assert.ok(defined.size > 20, `${defined.size} metrics defined`)
  const queried = new Set<string>()
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      for (const match of target.expr.matchAll(/\b(trends_\w+?)(?:_bucket|_sum|_count)?\b(?=[{[\s)]|$)/g)) {
        const name = match[1]!
        assert.ok(defined.has(name), `panel "${panel.title}" queries ${name}, which no service defines`)
        queried.add(name)
      }
    }
  }
  for (const prefix of ['trends_cc_', 'trends_worker_', 'trends_normalizer_', 'trends_sink_', 'trends_signals_']) {
    assert.ok(
      [...queried].some((name) => name.startsWith(prefix)),
      `the dashboard shows ${prefix}*`,
    )
  }
  for (const name of [
    'trends_normalizer_consumer_lag',
    'trends_sink_consumer_lag',
    'trends_sink_freshness_seconds',
    'trends_cc_request_seconds',
  ]) {
    assert.ok(queried.has(name), `the dashboard shows ${name}`)
  }
})

const MONITORING = path.join(ROOT, 'services/monitoring')

interface RulesFile {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; labels?: Record<string, string> }> }>
}
interface RulesTest {
  rule_files: string[]
  tests: Array<{ name: string; alert_rule_test: Array<{ alertname: string; exp_alerts?: unknown[] }> }>
}

test('the alerting rules read only metrics the services define, and each has a case that fires and a normal run where it does not', () => {
  const rules = parse(readFileSync(path.join(MONITORING, 'alerts.yml'), 'utf8')) as RulesFile
  const defined = definedMetrics()
  const alerts = rules.groups.flatMap((group) => group.rules)
  assert.deepEqual(alerts.map((rule) => rule.alert).sort(), [
    'TrendsCaptcha',
    'TrendsChartStale',
    'TrendsEndpointDeprecated',
    'TrendsLoginRequired',
    'TrendsPartialSnapshots',
    'TrendsUpstreamDrift',
    'TrendsUpstreamErrors',
  ])
  for (const rule of alerts) {
    const names = [...rule.expr.matchAll(/\b(trends_\w+)\b/g)].map((match) => match[1]!)
    assert.ok(names.length > 0, `${rule.alert} reads a pipeline metric`)
    for (const name of names) assert.ok(defined.has(name), `${rule.alert} reads ${name}, which no service defines`)
    assert.ok(['warning', 'critical'].includes(rule.labels?.['severity'] ?? ''), `${rule.alert} has a severity`)
  }
  const unitTests = parse(readFileSync(path.join(MONITORING, 'alerts.test.yml'), 'utf8')) as RulesTest
  assert.deepEqual(unitTests.rule_files, ['alerts.yml'])
  const cases = unitTests.tests.flatMap((group) => group.alert_rule_test.map((check) => ({ group: group.name, ...check })))
  for (const { alert } of alerts) {
    assert.ok(
      cases.some((check) => check.alertname === alert && (check.exp_alerts?.length ?? 0) > 0),
      `alerts.test.yml has a case where ${alert} fires`,
    )
    assert.ok(
      cases.some(
        (check) => check.alertname === alert && check.group === 'a normal run fires nothing' && (check.exp_alerts?.length ?? 0) === 0,
      ),
      `alerts.test.yml's normal run checks that ${alert} stays quiet`,
    )
  }
})

test('promtool: the rules load, and each fires on its series and stays quiet on a normal run (promtool test rules)', () => {
  const run = (args: string[]) => spawnSync('promtool', args, { cwd: MONITORING, encoding: 'utf8', timeout: 60_000 })
  const check = run(['check', 'rules', 'alerts.yml'])
  assert.equal(check.error, undefined, "promtool runs (Debian's prometheus package, which .ci/run installs)")
  assert.equal(check.status, 0, check.stdout + check.stderr)
  assert.match(check.stdout, /SUCCESS: 7 rules found/)
  const unit = run(['test', 'rules', 'alerts.test.yml'])
  assert.equal(unit.status, 0, unit.stdout + unit.stderr)
  assert.match(unit.stdout, /SUCCESS/)
})
