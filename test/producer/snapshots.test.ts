import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chartId, SNAPSHOT_OUTCOMES } from '@trends/creative-center'
import { createRegistry, type Registry } from '@trends/metrics'
import { loadProducerConfig, topicsFor } from '@trends/producer'
import { runFaultCases, type FaultCase } from '../support/fault-tasks.ts'
import { useSimulator } from '../support/simulator.ts'
import { producerEnv, readAll, stackClients } from '../support/raw-topics.ts'
import { useWorker } from '../support/worker.ts'

// How each chart fetch ended, in the fetch log: every attempt names its chart, and the fetch's last
// attempt (and only it) says whether what it fetched is the whole chart or why it is not.

const PATH = '/creative_radar_api/v1/popular_trend/creator/list'
const REQUEST_ID = '"request_id":"20261124101500A1B2C3D4E5F6A7B8C9D0"'
const EMPTY = `{"code":0,"msg":"OK",${REQUEST_ID},"data":{"creators":[],"pagination":{"page":1,"size":10,"total":0,"has_more":false}}}`
// A rule on a path no chart uses: the task runs as the upstream answers it.
const NONE = { fault: 'server-error', path: '/nowhere' } as const

interface Case extends FaultCase {
  snapshot: string
  /** What every successful page's fetch-log entry says of its drift from the contract. */
  drift?: string[]
}

const CASES: Case[] = [
  // The hashtag chart is a top 100: two pages of 50 reach its end before the cap of 5.
  { fault: NONE, endpoint: 'hashtags-legacy', outcome: 'ok', snapshot: 'complete', drift: [] },
  // The upstream renames a required field: each page's entry says so (the records are still published; the normalizer dead-letters them).
  {
    fault: { fault: 'rename-item-field', path: '/creative_radar_api/v1/popular_trend/hashtag/list', field: 'hashtag_name', to: 'tag_name' },
    endpoint: 'hashtags-legacy',
    outcome: 'ok',
    snapshot: 'complete',
    drift: ['hashtag_name missing 50', 'tag_name unknown 50'],
  },
  // Without a session the TikTok One hashtag list stops after 3 rows and says it has no more.
  { fault: NONE, endpoint: 'hashtags-creative-one', outcome: 'ok', snapshot: 'logged_out_cap' },
  // Two pages of 10 creators, with more to come.
  { fault: NONE, endpoint: 'creators-legacy', outcome: 'ok', snapshot: 'max_pages' },
  { fault: { fault: 'unavailable', path: PATH }, endpoint: 'creators-legacy', outcome: 'CC_SERVER_ERROR', snapshot: 'page_failed' },
  {
    fault: { fault: 'raw-body', path: PATH, count: 1, bodyBase64: Buffer.from(EMPTY).toString('base64') },
    endpoint: 'creators-legacy',
    outcome: 'CC_EMPTY_CHART',
    snapshot: 'empty',
  },
]

test(
  'the fetch log names the chart of every attempt and how each chart fetch ended, on its last attempt',
  { timeout: 180_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const matrix = {
      charts: [
        { endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], maxPages: 5, pageSize: 50 },
        { endpoint: 'creators-legacy', countries: ['US'], maxPages: 2, pageSize: 10 },
        { endpoint: 'hashtags-creative-one', countries: ['US'], periods: ['7'], maxPages: 5 },
      ],
    }
    const config = loadProducerConfig(producerEnv(simulator.url, matrix, { CC_MAX_ATTEMPTS: '2' }))
    const { kafka, registry } = stackClients()
    const metrics = createRegistry('snapshots')
    const started = Date.now() / 1000
    const worker = useWorker(t, config, { kafka, registry }, metrics)
    await worker.prepare()
    const byTask = await runFaultCases(worker, simulator, config.charts, CASES)

    const log = await readAll(kafka, registry, [topicsFor(config.topicPrefix).fetchLog])
    for (const [taskId, testCase] of byTask) {
      const label = `${testCase.endpoint} ${testCase.snapshot}`
      const chart = chartId(config.charts.find((c) => c.target.endpoint.name === testCase.endpoint)!.target)
      const attempts = log.filter((entry) => entry.value['task_id'] === taskId).map((entry) => entry.value)
      assert.ok(attempts.length > 0, label)
      for (const attempt of attempts) assert.equal(attempt['chart_id'], chart, label)
      const ended = attempts.filter((attempt) => attempt['snapshot'] !== null)
      assert.deepEqual(
        ended.map((attempt) => attempt['snapshot']),
        [testCase.snapshot],
        label,
      )
      if (testCase.drift !== undefined) {
        const pages = attempts.filter((attempt) => attempt['outcome'] === 'ok')
        assert.equal(pages.length, 2, label)
        for (const page of pages)
          assert.deepEqual(
            (page['drift'] as Array<{ field: string; kind: string; items: number }>).map(
              (entry) => `${entry.field} ${entry.kind} ${entry.items}`,
            ),
            testCase.drift,
            `${label}: drift`,
          )
      }
      const last = Math.max(...attempts.map((attempt) => Number(attempt['requested_at'])))
      assert.equal(Number(ended[0]!['requested_at']), last, `${label}: on the fetch's last attempt`)
    }

    // The alerts' series: every matrix endpoint × outcome from 0, each fetch's ending counted once.
    for (const endpoint of ['hashtags-legacy', 'creators-legacy', 'hashtags-creative-one']) {
      for (const snapshot of SNAPSHOT_OUTCOMES) {
        const expected = CASES.filter((c) => c.endpoint === endpoint && c.snapshot === snapshot).length
        assert.equal(
          await seriesValue(metrics, 'trends_worker_snapshots_total', { endpoint, snapshot }),
          expected,
          `${endpoint} ${snapshot}`,
        )
      }
    }
    // The hashtag chart ended complete after the worker started; the creators chart never did (its
    // gauge still holds the worker's start), nor the logged-out TikTok One list.
    const completedAt = async (endpoint: string) =>
      (await seriesValue(metrics, 'trends_worker_chart_complete_timestamp_seconds', {
        chart: chartId(config.charts.find((c) => c.target.endpoint.name === endpoint)!.target),
      })) ?? Number.NaN
    assert.ok((await completedAt('hashtags-legacy')) > started + 0.001)
    for (const endpoint of ['creators-legacy', 'hashtags-creative-one']) {
      const value = await completedAt(endpoint)
      assert.ok(value >= Math.floor(started) && value < started + 1, `${endpoint}: the worker's start (${value})`)
    }
    // The renamed field's two pages: counted once per page under the contract's name and as other.
    assert.equal(
      await seriesValue(metrics, 'trends_cc_drift_total', { endpoint: 'hashtags-legacy', field: 'hashtag_name', kind: 'missing' }),
      2,
    )
    assert.equal(await seriesValue(metrics, 'trends_cc_drift_total', { endpoint: 'hashtags-legacy', field: 'other', kind: 'unknown' }), 2)
  },
)

/** One series' value, which must exist (a series never made reads as undefined, and fails). */
async function seriesValue(metrics: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = metrics.getSingleMetric(name)
  const { values } = (await metric?.get()) ?? { values: [] }
  return values.find((v) => Object.entries(labels).every(([key, value]) => String((v.labels as Record<string, unknown>)[key]) === value))
    ?.value
}
