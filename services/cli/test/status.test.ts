import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CliError, EXIT } from '../src/errors.ts'
import { parseMetrics } from '../src/prometheus.ts'
import {
  behind,
  firstCycleDone,
  progressOf,
  refusalReason,
  statusInterval,
  statusLine,
  timestamped,
  type Progress,
  statusText,
} from '../src/status.ts'

/** What the three services' /metrics pages say mid-run, concatenated as `trends run` scrapes them. */
const SCRAPED = [
  // producer
  '# HELP trends_scheduler_tasks_total Fetch tasks published, by endpoint',
  '# TYPE trends_scheduler_tasks_total counter',
  'trends_scheduler_tasks_total{endpoint="hashtags"} 6',
  'trends_scheduler_tasks_total{endpoint="sounds"} 4',
  'trends_worker_tasks_total{endpoint="hashtags",outcome="ok"} 5',
  'trends_worker_tasks_total{endpoint="sounds",outcome="failed"} 1',
  'trends_worker_records_total{topic="demo.raw.hashtags"} 300',
  'trends_worker_records_total{topic="demo.raw.sounds"} 50',
  // fetch-log entries are counted by the worker too, but are no raw records
  'trends_worker_records_total{topic="demo.fetch-log"} 6',
  'trends_worker_dead_letters_total{reason="CC_UNEXPECTED"} 1',
  // normalizer
  'trends_normalizer_records_in_total{topic="demo.raw.hashtags"} 280',
  'trends_normalizer_records_in_total{topic="demo.raw.sounds"} 50',
  'trends_normalizer_records_out_total{kind="hashtag"} 250',
  'trends_normalizer_records_out_total{kind="sound"} 45',
  'trends_normalizer_dedup_hits_total{kind="hashtag"} 30',
  'trends_normalizer_dedup_hits_total{kind="sound"} 3',
  'trends_normalizer_dead_letters_total{reason="SCHEMA_MISMATCH"} 2',
  // sink
  'trends_sink_records_in_total 290',
  'trends_sink_rows_inserted_total{table="trend_observations"} 280',
  'trends_sink_rows_inserted_total{table="fetch_log"} 6',
  'trends_sink_dead_letters_total 0',
  // signals
  'trends_signals_events_total{type="entered"} 3',
  'trends_signals_events_total{type="exited"} 1',
].join('\n')

const idle: Progress = {
  scheduled: 0,
  tasksDone: 0,
  raw: 0,
  normalizerIn: 0,
  cleaned: 0,
  duplicates: 0,
  dead: 0,
  inserted: 0,
  sinkIn: 0,
  signals: 0,
}

test('progress: each stage summed over its labels; raw only from raw topics, inserted only into trend_observations', () => {
  assert.deepEqual(progressOf(parseMetrics(SCRAPED)), {
    scheduled: 10,
    tasksDone: 6,
    raw: 350,
    normalizerIn: 330,
    cleaned: 295,
    duplicates: 33,
    dead: 3,
    inserted: 280,
    sinkIn: 290,
    signals: 4,
  })
})

test('progress before any service answers: every count 0, and the line says so', () => {
  assert.deepEqual(progressOf([]), idle)
  assert.equal(
    statusLine(idle),
    'tasks 0/0 · raw 0 · cleaned 0 (0 repeats dropped) · in ClickHouse 0 · dead letters 0 · behind 0 · signals 0',
  )
})

test('the status line: tasks done of scheduled, each stage, and what is not through yet', () => {
  assert.equal(
    statusLine(progressOf(parseMetrics(SCRAPED))),
    'tasks 6/10 · raw 350 · cleaned 295 (33 repeats dropped) · in ClickHouse 280 · dead letters 3 · behind 35 · signals 4',
  )
})

test('behind: raw not yet read plus cleaned not yet inserted, neither term below 0', () => {
  assert.equal(behind({ ...idle, raw: 100, normalizerIn: 60, cleaned: 50, inserted: 20 }), 40 + 30)
  // Scraped one service after another, the sink can be ahead of the normalizer's last count.
  assert.equal(behind({ ...idle, raw: 100, normalizerIn: 100, cleaned: 50, inserted: 55 }), 0)
  assert.equal(behind({ ...idle, raw: 100, normalizerIn: 120, cleaned: 50, inserted: 40 }), 10)
})

test('first cycle done only when every scheduled task is done, all raw read and all cleaned inserted', () => {
  const done: Progress = { ...idle, scheduled: 10, tasksDone: 10, raw: 500, normalizerIn: 500, cleaned: 450, inserted: 450 }
  assert.equal(firstCycleDone(done), true)
  assert.equal(firstCycleDone({ ...done, tasksDone: 11 }), true, 'a task of the next cycle may already be done')
  assert.equal(firstCycleDone(idle), false, 'nothing scheduled yet')
  assert.equal(firstCycleDone({ ...done, tasksDone: 9 }), false)
  assert.equal(firstCycleDone({ ...done, normalizerIn: 499 }), false)
  assert.equal(firstCycleDone({ ...done, inserted: 449 }), false)
  assert.equal(firstCycleDone({ ...done, cleaned: 0, inserted: 0 }), false, 'nothing in ClickHouse is no first cycle')
})

test('--status-every takes whole seconds from 1s; anything else is a usage error naming the value', () => {
  assert.equal(statusInterval('5s'), 5000)
  assert.equal(statusInterval('1s'), 1000)
  assert.equal(statusInterval('120s'), 120_000)
  for (const bad of ['0s', '500ms', '5', '1.5s', ' 5s', '5 s', '-1s', '']) {
    assert.throws(
      () => statusInterval(bad),
      (error: unknown) =>
        error instanceof CliError &&
        error.exitCode === EXIT.usage &&
        error.message === `--status-every: whole seconds such as 5s (got ${JSON.stringify(bad)})`,
      bad,
    )
  }
})

test('a line of the run: the UTC time of day, two spaces, the text, a newline', () => {
  assert.equal(timestamped('local stack: starting', new Date('2026-12-01T21:04:05.678Z')), '21:04:05  local stack: starting\n')
  assert.equal(timestamped('x', new Date('2026-12-01T00:00:00+05:00')), '19:00:00  x\n', 'UTC, whatever the zone of the date given')
})

test("why ClickHouse refused the migrations: its error name first, else the error's code, else its message", () => {
  const error = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields)
  assert.equal(refusalReason(error('Authentication failed', { type: 'AUTHENTICATION_FAILED', code: '516' })), 'AUTHENTICATION_FAILED')
  assert.equal(refusalReason(error('connect ECONNREFUSED 127.0.0.1:8123', { code: 'ECONNREFUSED' })), 'ECONNREFUSED')
  assert.equal(refusalReason(error('no such database', { type: '' })), 'no such database')
  assert.equal(refusalReason(error('timeout', { code: 159 })), 'timeout', 'a numeric code is no name')
  assert.equal(refusalReason('a string thrown'), 'a string thrown')
  assert.equal(refusalReason(undefined), 'undefined')
})

test('on a terminal, a status line that says what the last one said is written over it; piped, every line stays', () => {
  const at = new Date('2026-12-01T21:40:05Z')
  const line = 'tasks 3/3 · raw 240 · cleaned 240 (0 repeats dropped) · in ClickHouse 240 · dead letters 0 · behind 0'
  assert.equal(statusText(undefined, line, true, at), `21:40:05  ${line}\n`)
  assert.equal(statusText(line, line, true, at), `\x1b[1A\x1b[2K21:40:05  ${line}\n`)
  assert.equal(statusText(line, line, false, at), `21:40:05  ${line}\n`, 'a log file keeps every line')
  assert.equal(statusText('tasks 2/3 · …', line, true, at), `21:40:05  ${line}\n`, 'a change gets a line of its own')
})
