import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import type { ClickHouseClient } from '@trends/clickhouse'
import { defer, freePort, useAdmin } from '@trends/testing'
import { fillRawTopics, readCommitted, startNormalizer } from '../support/pipeline.ts'
import { runCommand } from '../support/processes.ts'
import {
  cleanedRecord,
  committedTotal,
  freshSinkDatabase,
  publish,
  publishedForSink,
  queryNumber,
  serveStoreOn,
  sinkEnv,
  startSink,
  waitForNumber,
} from '../support/sink.ts'
import { useSimulator } from '../support/simulator.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const REPLAY = path.join(ROOT, 'services/sink/src/replay-main.ts')
/** Hashtags and creators of one country: each call brings observations not seen before. */
const matrix = (country: string) => ({
  charts: [
    { endpoint: 'hashtags-legacy', countries: [country], periods: ['7'], maxPages: 2 },
    { endpoint: 'creators-legacy', countries: [country], maxPages: 2 },
  ],
})

/**
 * The normalizer of a next release: a copy of services/normalizer with one new rule (a hashtag's
 * normalized name keeps a leading '#') and its version bumped, as a fix would ship.
 */
function nextNormalizer(t: Parameters<typeof defer>[0]): string {
  const dir = path.join(ROOT, '.data', `test-normalizer-${randomSuffix(6)}`)
  mkdirSync(dir, { recursive: true })
  defer(t, () => rmSync(dir, { recursive: true, force: true }))
  cpSync(path.join(ROOT, 'services/normalizer/src'), path.join(dir, 'src'), { recursive: true })
  cpSync(path.join(ROOT, 'services/normalizer/package.json'), path.join(dir, 'package.json'))
  const patch = (file: string, from: string, to: string) => {
    const text = readFileSync(path.join(dir, 'src', file), 'utf8')
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`)
    writeFileSync(path.join(dir, 'src', file), text.replace(from, to))
  }
  patch('version.ts', 'export const NORMALIZER_VERSION = 1', 'export const NORMALIZER_VERSION = 2')
  patch(
    'normalize.ts',
    "  if (kind === 'hashtag') name = name.replace(/^#+\\s*/u, '')\n",
    "  if (kind === 'hashtag') name = `#${name.replace(/^#+\\s*/u, '')}`\n",
  )
  return path.join(dir, 'src/main.ts')
}

/** An observation: the table's sorting key (what ReplacingMergeTree keeps one row of). */
/**
 * Serves this process's store over HTTP to the replay commands, as a ClickHouse server would (before
 * any other session opens the store, so the engine takes the served access rules). Gives the
 * commands' environment for a live sink's settings, a runner, and a starter for one that runs on.
 */
async function servedToCommands(t: Parameters<typeof defer>[0]) {
  const port = await freePort()
  await serveStoreOn(t, port, { replay: 'replay-password' })
  return (liveEnv: Record<string, string>, extra: Record<string, string> = {}) => {
    const env = {
      ...liveEnv,
      CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
      CLICKHOUSE_USER: 'replay',
      CLICKHOUSE_PASSWORD: 'replay-password',
      ...extra,
    }
    return {
      replay: (args: string[]) => runCommand(REPLAY, args, env),
      /** A replay left running: its stdout so far, its exit code, and a wait for a line it prints. */
      started: (args: string[]) => {
        const child = spawn(process.execPath, [REPLAY, ...args], {
          env: { ...process.env, LOG_LEVEL: 'warn', ...env },
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        const run = {
          child,
          out: '',
          exited: new Promise<number | null>((resolve) => child.once('close', resolve)),
          printed: (pattern: RegExp) =>
            new Promise<void>((resolve, reject) => {
              const look = () => pattern.test(run.out) && resolve()
              child.stdout.on('data', look)
              child.once('close', () => reject(new Error(`exited before printing ${pattern}: ${run.out}`)))
              look()
            }),
        }
        child.stdout.on('data', (chunk: Buffer) => (run.out += chunk.toString()))
        return run
      },
    }
  }
}

const identity = 'kind, country, period, industry, data_date, natural_key, chart_id'

/** Rows, distinct observations (no FINAL) and rows per normalizer version of the live table. */
async function table(
  client: ClickHouseClient,
): Promise<{ rows: number; distinct: number; v2: number; v2Hashtags: number; marked: number }> {
  const [row] = await (
    await client.query({
      query: `SELECT count() AS rows, uniqExact(${identity}) AS distinct, countIf(normalizer_version = 2) AS v2,
                     countIf(normalizer_version = 2 AND kind = 'hashtag') AS v2Hashtags, countIf(startsWith(normalized_name, '#')) AS marked
              FROM trend_observations`,
      format: 'JSONEachRow',
    })
  ).json<Record<string, string>>()
  return {
    rows: Number(row?.['rows']),
    distinct: Number(row?.['distinct']),
    v2: Number(row?.['v2']),
    v2Hashtags: Number(row?.['v2Hashtags']),
    marked: Number(row?.['marked']),
  }
}

test(
  'a shadow replay with a new normalizer rule: verify names the changed rows, swap brings them in without a pause in loading, rollback restores the old tables',
  { timeout: 600_000 },
  async (t) => {
    const commands = await servedToCommands(t)
    const simulator = await useSimulator(t)
    const { env, topics, kafka, registry } = await fillRawTopics(t, simulator.url, matrix('US'))
    const prefix = env['TOPIC_PREFIX']!
    const more = async (country: string) => {
      await fillRawTopics(t, simulator.url, matrix(country), { TOPIC_PREFIX: prefix })
    }
    await startNormalizer(t, env)
    const { client, database } = await freshSinkDatabase(t)
    const liveEnv = sinkEnv(prefix, database)
    await startSink(t, liveEnv, client)
    const admin = await useAdmin(t)
    const raw = topics.allRaw()
    const rawTotal = async () => {
      let sum = 0
      for (const topic of raw) sum += (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0)
      return sum
    }
    /** Waits until the live normalizer has read every raw record and the live tables hold every cleaned one; their count. */
    const loaded = async () => {
      const end = await rawTotal()
      const deadline = Date.now() + 120_000
      for (;;) {
        let at = 0
        for (const topic of raw) at += await committedTotal(admin, `${prefix}.normalizer`, topic)
        if (at >= end) break
        if (Date.now() > deadline) throw new Error(`the live normalizer read ${at} of ${end} raw records`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const cleaned = await readCommitted(kafka, registry, topics.cleaned)
      const expected = new Set(
        cleaned.map(({ value: v }) =>
          [v.kind, v.country ?? '', v.period ?? 0, v.industry ?? '', v.data_date, v.natural_key, v.chart_id].join('|'),
        ),
      ).size
      await waitForNumber(client, `SELECT uniqExact(${identity}) AS n FROM trend_observations`, (n) => n >= expected, 120_000)
      return expected
    }
    const first = await loaded()
    const hashtags = await queryNumber(client, "SELECT count() AS n FROM trend_observations WHERE kind = 'hashtag'")
    assert.ok(hashtags > 0 && hashtags < first, `hashtags (${hashtags}) and creators in ${first} observations`)

    const { replay } = commands(liveEnv, { NORMALIZER_GROUP_ID: `${prefix}.normalizer` })

    // Refused before there is anything to swap or roll back: one line, exit 2.
    const noShadow = await replay(['--swap'])
    assert.equal(noShadow.code, 2, noShadow.stderr)
    assert.match(noShadow.stderr, /^replay: no shadow replay in .*\(REPLAY_NO_SHADOW\)\n$/m)
    const noPrevious = await replay(['--rollback'])
    assert.equal(noPrevious.code, 2, noPrevious.stderr)
    assert.match(noPrevious.stderr, /\(REPLAY_NO_PREVIOUS\)\n$/)

    // The shadow replay runs while new observations keep arriving and the live tables keep loading them.
    const main = nextNormalizer(t)
    const building = replay(['--shadow', '--stage', 'normalizer', '--from', 'earliest', '--normalizer', main])
    // Once the replay has taken down where the raw topics end (its state is written), more arrives.
    await waitForNumber(
      client,
      `SELECT count() AS n FROM system.tables WHERE database = '${database}_shadow' AND name = 'replay_state'`,
      (n) => n === 1,
      60_000,
    )
    await more('GB')
    const second = await loaded()
    assert.ok(second > first, 'new observations while the shadow replay ran')
    const during = await table(client)
    assert.equal(during.marked, 0, 'queries on the live tables return the old values while the replay runs')
    assert.equal(during.rows, second)
    const built = await building
    assert.equal(built.code, 0, built.stderr)
    assert.match(built.stdout, /normalizer \d+\/\d+ raw records/)
    assert.match(built.stdout, /ready — compare with --verify/)

    const verified = await replay(['--verify'])
    assert.equal(verified.code, 0, `${verified.stdout}\n${verified.stderr}`)
    const counts = /items only live: (\d+); only shadow: (\d+); values that differ: (\d+)/.exec(verified.stdout)
    assert.ok(counts !== null, verified.stdout)
    // Exactly the hashtag observations of the raw records the replay reprocessed changed, nothing else.
    assert.deepEqual(counts.slice(1).map(Number), [0, 0, hashtags], verified.stdout)
    const named = verified.stdout.split('\n').filter((line) => /^ {2}\S+ {2}\S+ {2}\d{4}-\d{2}-\d{2} {2}\d+ → \d+/.test(line))
    assert.ok(named.length > 0 && named.every((line) => line.startsWith('  hashtag  ')), verified.stdout)
    assert.match(verified.stdout, /normalized_name "[^"#][^"]*" → "#/)
    assert.match(verified.stdout, /version live 1, shadow 2/)

    const swapped = await replay(['--swap'])
    assert.equal(swapped.code, 0, swapped.stderr)
    assert.match(swapped.stdout, /^swapped \d+ tables .* the live sink paused \d+\.\ds/m)
    const twice = await replay(['--swap'])
    assert.equal(twice.code, 2, 'a second swap is refused')

    // New observations after the swap go into the swapped-in tables.
    await more('DE')
    const third = await loaded()
    const after = await table(client)
    assert.equal(after.rows, third, 'every observation once, counted without FINAL')
    assert.equal(after.distinct, third)
    assert.equal(after.v2Hashtags, hashtags, 'the reprocessed hashtags carry the new version')
    assert.equal(after.marked, hashtags, 'and the new rule')

    const rolledBack = await replay(['--rollback'])
    assert.equal(rolledBack.code, 0, rolledBack.stderr)
    await more('FR')
    const fourth = await loaded()
    const restored = await table(client)
    assert.deepEqual(
      restored,
      { rows: fourth, distinct: fourth, v2: 0, v2Hashtags: 0, marked: 0 },
      'the old tables, brought up to date: every observation once, none of the new version',
    )

    const dropped = await replay(['--drop-previous'])
    assert.equal(dropped.code, 0, dropped.stderr)
    assert.equal(
      await queryNumber(client, `SELECT count() AS n FROM system.databases WHERE name = '${database}_shadow'`),
      0,
      'the previous tables are gone',
    )
  },
)

test(
  'a sink-stage shadow replay stops and resumes; a second one while it runs, a swap onto another schema or too far behind (before the fence or after it) and a replay over swapped tables are refused',
  { timeout: 300_000 },
  async (t) => {
    const commands = await servedToCommands(t)
    const { prefix, topics, cleanedSchemaId, client, database, records } = await publishedForSink(t, 3000)
    const liveEnv = sinkEnv(prefix, database, { SINK_BATCH_ROWS: '200' })
    await startSink(t, liveEnv, client)
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= records.length, 120_000)
    const { replay, started } = commands(liveEnv)
    const shadowArgs = ['--shadow', '--stage', 'sink', '--from', 'earliest']

    // Stopped as soon as it has begun, it says how to go on; run again, it resumes and finishes.
    const first = started(shadowArgs)
    await first.printed(/--stage sink --from earliest into /)
    first.child.kill('SIGINT')
    assert.equal(await first.exited, 0, first.out)
    assert.match(first.out, /stopped; run the same command again to resume/)

    const admin = await useAdmin(t)
    const resumed = started(shadowArgs)
    // While its consumer group runs, another replay is refused.
    const group = `${prefix}.sink.shadow`
    let running = false
    for (const until = Date.now() + 60_000; !running && Date.now() < until && resumed.child.exitCode === null;) {
      running = (await admin.describeGroups([group])).groups[0]?.state === 'Stable'
      if (!running) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (running) {
      const second = await replay(shadowArgs)
      assert.equal(second.code, 2, second.stderr)
      assert.match(second.stderr, /a shadow replay is running .*\(REPLAY_RUNNING\)\n$/)
    }
    assert.equal(await resumed.exited, 0, resumed.out)
    assert.ok(running, 'the resumed replay ran long enough to be found running')
    assert.match(resumed.out, /resumed \(--stage sink --from earliest\)/)
    assert.match(resumed.out, /ready — compare with --verify/)

    const verified = await replay(['--verify'])
    assert.equal(verified.code, 0, `${verified.stdout}\n${verified.stderr}`)
    assert.match(verified.stdout, new RegExp(`observations compared: ${records.length} live, ${records.length} shadow`))
    assert.match(verified.stdout, /items only live: 0; only shadow: 0; values that differ: 0/)

    // A shadow made by other migrations is not swapped in.
    await client.insert({
      table: `${database}_shadow.schema_migrations`,
      values: [{ name: '999_other.sql', checksum: 'x' }],
      format: 'JSONEachRow',
    })
    const mismatch = await replay(['--swap'])
    assert.equal(mismatch.code, 2, mismatch.stderr)
    assert.match(mismatch.stderr, /999_other\.sql is applied to the shadow only \(REPLAY_SCHEMA_MISMATCH\)\n$/)
    await client.command({ query: `DELETE FROM ${database}_shadow.schema_migrations WHERE name = '999_other.sql'` })

    // A shadow further behind the live sink than it can make up within --timeout is not swapped in:
    // one line, exit 1, no fence left, and the live sink goes on loading its own tables. What holds
    // the shadow back is a live ledger range past the partition's end, which no sink can reach
    // (a shadow merely 1,000 records behind sometimes caught up within the second).
    const unreachable = { target: 'trend_observations', topic: topics.cleaned, partition: 0, first: '1000000', last: '1000099', rows: 100 }
    await client.insert({ table: 'sink_batches', values: [unreachable], format: 'JSONEachRow' })
    const late = await replay(['--swap', '--timeout', '1s'])
    assert.equal(late.code, 1, `${late.stdout}\n${late.stderr}`)
    assert.match(
      late.stderr,
      /^replay: the shadow could not come close to the live sink within 1s; nothing changed \(REPLAY_SHADOW_BEHIND\)\n$/,
    )
    assert.doesNotMatch(late.stdout, /swapped/)
    await client.command({ query: `DELETE FROM sink_batches WHERE topic = '${topics.cleaned}' AND first = 1000000` })
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), records.length, 'the live tables as they were')
    const meanwhile = Array.from({ length: 50 }, (_, i) => cleanedRecord(records.length + i))
    await publish(t, topics.cleaned, cleanedSchemaId, meanwhile)
    let total = records.length + meanwhile.length
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= total, 60_000)

    // Close enough to be fenced, then unable to reach the live ledger's end while the live sink is
    // paused (a range just past partition 0's end): the same refusal within the same --timeout, and
    // the fence is lifted — the live sink loads what arrives afterwards.
    const high = (await admin.fetchTopicOffsets(topics.cleaned)).find((offsets) => offsets.partition === 0)!.high
    const justPast = { ...unreachable, first: high, last: String(BigInt(high) + 9n), rows: 10 }
    await client.insert({ table: 'sink_batches', values: [justPast], format: 'JSONEachRow' })
    const fencedLate = await replay(['--swap', '--timeout', '30s'])
    assert.equal(fencedLate.code, 1, `${fencedLate.stdout}\n${fencedLate.stderr}`)
    assert.match(
      fencedLate.stderr,
      /^replay: the shadow could not reach the end of the live ledger within 30s; nothing changed \(REPLAY_SHADOW_BEHIND\)\n$/,
    )
    assert.doesNotMatch(fencedLate.stdout, /swapped/)
    await client.command({ query: `DELETE FROM sink_batches WHERE topic = '${topics.cleaned}' AND first = ${high}` })
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), total, 'the live tables as they were')
    const unfenced = Array.from({ length: 50 }, (_, i) => cleanedRecord(total + i))
    await publish(t, topics.cleaned, cleanedSchemaId, unfenced)
    total += unfenced.length
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= total, 60_000)

    // A swap that died while the live sink was paused left its fence on every partition: the live
    // sink holds what arrives, and the next swap lifts the fence first.
    for (let partition = 0; partition < 6; partition++) {
      await client.insert({
        table: 'sink_claims',
        values: [{ target: 'trend_observations', topic: topics.cleaned, partition, owner: 'swap:dead0001' }],
        format: 'JSONEachRow',
      })
    }
    const later = Array.from({ length: 100 }, (_, i) => cleanedRecord(total + i))
    await publish(t, topics.cleaned, cleanedSchemaId, later)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), total, 'held while fenced')
    total += later.length
    const swapped = await replay(['--swap'])
    assert.equal(swapped.code, 0, swapped.stderr)
    await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= total, 60_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(await queryNumber(client, 'SELECT count() AS n FROM trend_observations'), total, 'every row once, no FINAL')
    const over = await replay(shadowArgs)
    assert.equal(over.code, 2, over.stderr)
    assert.match(
      over.stderr,
      /holds the previous tables of replay \w+: roll back \(--rollback\) or drop them \(--drop-previous\).*\(REPLAY_WRONG_STATE\)\n$/,
    )
    assert.equal((await replay(['--drop-previous'])).code, 0)
    assert.equal((await replay(['--drop-previous'])).code, 2, 'nothing left to drop')
  },
)
