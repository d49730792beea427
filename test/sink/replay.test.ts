import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { topicsFor } from '@trends/kafka'
import { planReplay, routesFor } from '@trends/sink'
import { defer, useAdmin } from '@trends/testing'
import { runCommand, startServiceProcess } from '../support/processes.ts'
import { committedTotal, expectObservations, publishedForSink, queryFolder, sinkEnv, startSink } from '../support/sink.ts'

const SINK = path.resolve(import.meta.dirname, '../../services/sink/src/main.ts')
const REPLAY = path.resolve(import.meta.dirname, '../../services/sink/src/replay-main.ts')

test(
  'the replay command: refused while the sink runs; from earliest it reads everything again and no total changes',
  { timeout: 240_000 },
  async (t) => {
    const { prefix, topics, records } = await publishedForSink(t, 3000)
    const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-replay-'))
    defer(t, () => rmSync(folder, { recursive: true, force: true }))
    const env = sinkEnv(prefix, 'default', { CLICKHOUSE_PATH: folder, SINK_BATCH_ROWS: '400', SINK_SESSION_TIMEOUT: '6s' })
    const admin = await useAdmin(t)

    const sink = startServiceProcess(t, SINK, [], env)
    const deadline = Date.now() + 120_000
    while ((await committedTotal(admin, env['SINK_GROUP_ID']!, topics.cleaned)) < records.length) {
      if (Date.now() > deadline) throw new Error('the sink did not finish')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const busy = await runCommand(REPLAY, ['--from', 'earliest', '--topic', 'cleaned'], {
      ...env,
      CLICKHOUSE_PATH: mkdtempSync(path.join(os.tmpdir(), 'trends-replay-other-')),
    })
    assert.equal(busy.code, 1)
    assert.match(busy.stderr, /is Stable: stop its members before a replay .*\(REPLAY_GROUP_ACTIVE\)\n$/)
    const exited = new Promise((resolve) => sink.once('exit', resolve))
    sink.kill('SIGTERM')
    await exited

    const totals = () =>
      queryFolder<{ rows: string; batches: string }>(
        folder,
        'default',
        'SELECT (SELECT count() FROM trend_observations) AS rows, (SELECT count() FROM sink_batches) AS batches',
      )
    const [before] = await totals()
    assert.equal(Number(before?.rows), records.length)

    const dry = await runCommand(REPLAY, ['--from', 'earliest', '--dry-run'], env)
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, new RegExp(`${records.length} records to read again`))

    const replay = await runCommand(REPLAY, ['--from', 'earliest', '--topic', 'cleaned'], { ...env, SINK_BATCH_ROWS: '1000' })
    assert.equal(replay.code, 0, replay.stderr)
    assert.match(replay.stdout, new RegExp(`replayed ${records.length} of ${records.length} \\(100%\\)`))
    assert.match(replay.stdout, /replay done/)
    const [after] = await totals()
    assert.deepEqual(after, before, 'the same rows and the same batches after the replay')
  },
)

test(
  'a replay plan warns when it reaches back past the deduplication window, and starts at batch boundaries',
  { timeout: 120_000 },
  async (t) => {
    const { prefix, client, database, records } = await publishedForSink(t, 1000)
    const { sink } = await startSink(t, sinkEnv(prefix, database, { SINK_BATCH_ROWS: '50' }), client)
    await expectObservations(client, records.length)
    await sink.stop()
    const [observations] = routesFor(topicsFor(prefix))
    const admin = await useAdmin(t)
    const within = await planReplay(admin, client, [observations!], { kind: 'earliest' })
    assert.deepEqual(within.warnings, [])
    assert.equal(within.records, BigInt(records.length))

    await client.command({ query: 'ALTER TABLE trend_observations MODIFY SETTING non_replicated_deduplication_window = 3' })
    const beyond = await planReplay(admin, client, [observations!], { kind: 'earliest' })
    assert.equal(beyond.warnings.length, 1)
    assert.match(beyond.warnings[0] ?? '', /beyond its deduplication window of 3/)
    // An offset inside a batch: the replay starts where that batch started.
    const inside = await planReplay(admin, client, [observations!], { kind: 'offset', offset: 60n })
    const ranges = await (
      await client.query({
        query: 'SELECT partition, toString(first) AS first, toString(last) AS last FROM sink_batches FINAL',
        format: 'JSONEachRow',
      })
    ).json<{ partition: number; first: string; last: string }>()
    for (const p of inside.partitions) {
      const holding = ranges.find((r) => r.partition === p.partition && BigInt(r.first) <= 60n && 60n <= BigInt(r.last))
      assert.equal(p.from, holding === undefined ? 60n : BigInt(holding.first), `partition ${p.partition}`)
    }
  },
)
