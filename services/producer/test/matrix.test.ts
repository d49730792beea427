import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@trends/core'
import { loadProducerConfig } from '../src/config.ts'
import { parseMatrix } from '../src/matrix.ts'

const defaults = { cadence: '1h', maxPages: 5 }

test('a chart expands to countries × periods × industries, null meaning no filter', () => {
  const { charts, problems } = parseMatrix(
    {
      charts: [
        { endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7', '30'], industries: [null, '22000000000'], cadence: '30m' },
      ],
    },
    defaults,
  )
  assert.deepEqual(problems, [])
  assert.equal(charts.length, 8)
  assert.ok(charts.every((chart) => chart.cadenceMs === 1_800_000 && chart.maxPages === 5))
  assert.deepEqual(
    charts.filter((chart) => chart.target.country === 'GB' && chart.target.period === '30').map((chart) => chart.target.industry),
    [undefined, '22000000000'],
  )
})

test('creators need no period; the defaults apply where a chart says nothing', () => {
  const { charts, problems } = parseMatrix({ charts: [{ endpoint: 'creators-legacy', countries: ['US'] }] }, defaults)
  assert.deepEqual(problems, [])
  assert.equal(charts.length, 1)
  assert.equal(charts[0]?.target.period, undefined)
  assert.equal(charts[0]?.cadenceMs, 3_600_000)
})

test('unknown endpoints, countries and periods fail with the valid values listed, all at once', () => {
  const { charts, problems } = parseMatrix(
    {
      charts: [
        { endpoint: 'hashtag-list', countries: ['US'], periods: ['7'] },
        { endpoint: 'hashtags-creative-one', countries: ['US', 'XX'], periods: ['120'] },
        { endpoint: 'videos-legacy', countries: ['US'], periods: ['7'], cadence: 'hourly' },
      ],
    },
    defaults,
  )
  assert.deepEqual(charts, [])
  assert.equal(problems.length, 4)
  assert.match(
    problems[0] ?? '',
    /^charts\[0\]: unknown endpoint "hashtag-list"; valid: keywords-legacy, hashtags-legacy, hashtags-creative-one/,
  )
  assert.match(problems[1] ?? '', /^charts\[1\]: .*unknown period "120"; valid: 7, 30, 90/)
  assert.match(problems[2] ?? '', /^charts\[1\]: .*unknown country "XX"; valid: US, FR/)
  assert.match(problems[3] ?? '', /^charts\[2\]: cadence "hourly" must look like/)
})

test('the service refuses to start on a bad matrix and lists every problem', () => {
  assert.throws(
    () =>
      loadProducerConfig({
        POLL_MATRIX: JSON.stringify({ charts: [{ endpoint: 'sounds-new', periods: ['7'] }] }),
        CC_RATE_PER_SECOND: 'fast',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.equal(error.problems.length, 2)
      assert.match(error.problems.join('\n'), /CC_RATE_PER_SECOND: set a number/)
      assert.match(error.problems.join('\n'), /POLL_MATRIX: charts\[0\]: unknown endpoint "sounds-new"; valid: /)
      return true
    },
  )
})

test('the shipped poll matrix is valid', () => {
  const config = loadProducerConfig({})
  assert.ok(config.charts.length > 10)
  assert.deepEqual([...new Set(config.charts.map((chart) => chart.target.endpoint.family))].sort(), [
    'creator',
    'hashtag',
    'keyword',
    'sound',
    'video',
  ])
})
