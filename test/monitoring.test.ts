import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
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
