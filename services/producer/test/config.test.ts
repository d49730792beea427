import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@trends/core'
import { loadProducerConfig } from '../src/config.ts'

const MATRIX = JSON.stringify({
  charts: [
    { endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], cadence: '1h' },
    { endpoint: 'creators-legacy', countries: ['US'], cadence: '6h' },
  ],
})

test("POLL_CADENCE: one cadence for every chart, over the matrix's own; unset, each chart keeps its own", () => {
  assert.deepEqual(
    loadProducerConfig({ POLL_MATRIX: MATRIX }).charts.map((chart) => chart.cadenceMs),
    [3_600_000, 21_600_000],
  )
  assert.deepEqual(
    loadProducerConfig({ POLL_MATRIX: MATRIX, POLL_CADENCE: '30s' }).charts.map((chart) => chart.cadenceMs),
    [30_000, 30_000],
  )
  for (const [value, problem] of [
    ['soon', /POLL_CADENCE: a duration such as/],
    ['500ms', /POLL_CADENCE: at least 1s/],
  ] as const) {
    assert.throws(
      () => loadProducerConfig({ POLL_MATRIX: MATRIX, POLL_CADENCE: value }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((text) => problem.test(text)),
      value,
    )
  }
})
