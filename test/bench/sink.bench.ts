/**
 * Sink benchmarks, against the local stack, with ClickHouse in this process (embedded chDB) and
 * over HTTP (the same store behind the project's ClickHouse HTTP interface).
 *
 * 1. Sustained rows/s from the cleaned topic into trend_observations (and its views), exactly once.
 *    The ceiling, measured in the same run: @clickhouse/client inserting the same rows, already in
 *    memory and already mapped, with the same batch size, into a fresh copy of the same tables.
 * 2. Memory while ClickHouse is unavailable for 60 s under load: records keep arriving; the RSS of
 *    this process and the sink's buffered rows are sampled; then ClickHouse comes back and every
 *    row must land once.
 *
 * Before each measured phase, ClickHouse finishes the merges the previous phase started.
 *
 * Targets (issue 5): sink ≥ 0.9 × the ceiling, in each mode; memory bounded during the outage.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { createClickHouse, migrate, readPassword, type ClickHouseClient, type ClickHouseSettings } from '@trends/clickhouse'
import { freePort } from '@trends/testing'
import { chunkByBytes, Partitioners, SEND_CHUNK_BYTES, topicsFor, type Producer } from '@trends/kafka'
import { createRegistry, metricValue, type Registry } from '@trends/metrics'
import { createSink, insertSettings, loadSinkConfig, routesFor } from '@trends/sink'
import { benchClients } from '../support/bench.ts'
import { cleanedRecord, freshSinkTopics } from '../support/sink.ts'

const RECORDS = Number(process.env['BENCH_SINK_RECORDS'] ?? 360_000)
const BATCH_ROWS = Number(process.env['BENCH_SINK_BATCH_ROWS'] ?? 20_000)
const OUTAGE_MS = Number(process.env['BENCH_SINK_OUTAGE_MS'] ?? 60_000)
const { logger, kafka, registry } = benchClients()
const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-bench-sink-'))
const embedded = (database: string): ClickHouseSettings => ({ mode: 'embedded', path: folder, database })
const phase = (name: string) =>
  process.stderr.write(
    `[bench] ${name}: heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MB, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB\n`,
  )
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// --- records: cleaned observations of the real shape, on a fresh topic ----------------------------
// Six partitions × three batches of 20,000: the sink inserts the same batch sizes as the ceiling.
const records = Array.from({ length: RECORDS }, (_, i) => cleanedRecord(i % 60_000, Math.floor(i / 60_000)))
const [observationsRoute] = routesFor(topicsFor('bench'))
if (observationsRoute === undefined) throw new Error('no route')
const rows = records.map((record) => observationsRoute.toRow(record as unknown as Record<string, unknown>))

async function publishAll(producer: Producer, topic: string, schemaId: number, values: readonly object[]): Promise<void> {
  // One at a time: the first encode fetches the schema, the rest use the client's cache.
  // Round robin over the six partitions, so each gets whole batches (RECORDS / 6 a multiple of the batch size).
  const encoded = []
  for (const [i, value] of values.entries()) encoded.push({ key: null, partition: i % 6, value: await registry.encode(schemaId, value) })
  for (const chunk of chunkByBytes(encoded, SEND_CHUNK_BYTES)) await producer.send({ topic, acks: -1, messages: chunk })
}

/**
 * Waits until ClickHouse has no merge running (at most 60 s), so that one measured phase does not
 * pay for the background merges of the one before it.
 */
async function settle(client: ClickHouseClient): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const [row] = await (
      await client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' })
    ).json<{ n: string }>()
    if (Number(row?.n) === 0) return
    await sleep(100)
  }
}

async function freshDatabase(admin: ClickHouseClient, label: string): Promise<string> {
  const database = `bench_${label}_${randomSuffix(4)}`
  await admin.command({ query: `CREATE DATABASE ${database}` })
  return database
}

/**
 * The ceiling: the same mapped rows through @clickhouse/client, batch by batch, two inserts in
 * flight (the next batch is encoded while one is inserted, as the sink overlaps its work).
 */
async function ceiling(client: ClickHouseClient): Promise<number> {
  await migrate(client)
  const started = performance.now()
  const inFlight: Array<Promise<unknown>> = []
  for (let at = 0, n = 0; at < rows.length; at += BATCH_ROWS, n++) {
    inFlight.push(
      client.insert({
        table: 'trend_observations',
        values: rows.slice(at, at + BATCH_ROWS),
        format: 'JSONEachRow',
        clickhouse_settings: insertSettings(`ceiling:${n}`),
      }),
    )
    if (inFlight.length >= 2) await inFlight.shift()
  }
  await Promise.all(inFlight)
  return rows.length / ((performance.now() - started) / 1000)
}

/** The embedded store of `dataFolder` served over HTTP by its own process (as in production). */
async function serveProcess(dataFolder: string, port: number): Promise<{ url: string; password: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '../../packages/clickhouse/src/serve-main.ts')], {
    env: { ...process.env, CLICKHOUSE_PATH: dataFolder, CLICKHOUSE_HTTP_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/ping`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) break
    if (i > 300 || child.exitCode !== null) throw new Error('the ClickHouse HTTP process did not start')
    await sleep(100)
  }
  return {
    url,
    // The password the server made in the folder on its first start (the same after a restart).
    password: readPassword(dataFolder) ?? '',
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** A sink from the start of the prefix's topics, in this process, with the benchmark's batch size. */
async function sinkRun(prefix: string, clickhouseEnv: Record<string, string>, metrics: Registry) {
  const config = loadSinkConfig({
    ...process.env,
    ...clickhouseEnv,
    TOPIC_PREFIX: prefix,
    SINK_GROUP_ID: `${prefix}.sink.${randomSuffix(4)}`,
    SINK_BATCH_ROWS: String(BATCH_ROWS),
    SINK_BATCH_WAIT: '1s',
    SINK_RETRY_BASE: '100ms',
    SINK_RETRY_MAX: '1s',
  })
  const sink = createSink({ config, logger, metrics })
  await sink.start()
  return sink
}

/**
 * The sink from the topic's start. Sustained rate: rows acknowledged between 10% and 90% of the
 * run, over the time between (the start-up and the last batches' wait for SINK_BATCH_WAIT are not
 * throughput); the whole-run rate is reported beside it.
 */
async function timedSink(prefix: string, clickhouseEnv: Record<string, string>): Promise<{ sustained: number; whole: number }> {
  const metrics = createRegistry(`bench-sink-${randomSuffix(4)}`)
  const sink = await sinkRun(prefix, clickhouseEnv, metrics)
  const inserted = () => metricValue(metrics, 'trends_sink_rows_inserted_total', { table: 'trend_observations' })
  while ((await metricValue(metrics, 'trends_sink_records_in_total')) === 0) await sleep(2)
  const started = performance.now()
  let low: { at: number; rows: number } | undefined
  let high: { at: number; rows: number } | undefined
  for (;;) {
    const rows = await inserted()
    const at = performance.now()
    if (low === undefined && rows >= RECORDS * 0.1) low = { at, rows }
    if (high === undefined && rows >= RECORDS * 0.9) high = { at, rows }
    if (rows >= RECORDS) break
    await sleep(2)
  }
  const whole = RECORDS / ((performance.now() - started) / 1000)
  await sink.stop()
  if (low === undefined || high === undefined || high.at === low.at) return { sustained: whole, whole }
  return { sustained: (high.rows - low.rows) / ((high.at - low.at) / 1000), whole }
}

const admin = createClickHouse(embedded('default'))
const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
const sinkTopics = (t: typeof topics) => [t.cleaned, t.fetchLog, t.deadLetters]
const created = sinkTopics(topics)
const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner })
await producer.connect()
await publishAll(producer, topics.cleaned, cleanedSchemaId, records)

phase('published')
const results: Record<string, number> = {}
// --- 1a. in-process -----------------------------------------------------------------------------
{
  const ceilingClient = createClickHouse(embedded(await freshDatabase(admin, 'ceiling')))
  await settle(admin)
  results['sink.embedded.ceiling_rows_per_s'] = Math.round(await ceiling(ceilingClient))
  await ceilingClient.close()
  const database = await freshDatabase(admin, 'sink')
  await settle(admin)
  const run = await timedSink(prefix, { CLICKHOUSE_PATH: folder, CLICKHOUSE_DATABASE: database })
  results['sink.embedded.rows_per_s'] = Math.round(run.sustained)
  results['sink.embedded.whole_run_rows_per_s'] = Math.round(run.whole)
}
phase('embedded done')
// --- 1b. over HTTP, to a ClickHouse process of its own ------------------------------------------
const httpFolder = mkdtempSync(path.join(os.tmpdir(), 'trends-bench-sink-http-'))
const httpPort = await freePort()
let server = await serveProcess(httpFolder, httpPort)
const overHttp = (database: string): ClickHouseSettings => ({
  mode: 'server',
  url: server.url,
  username: 'default',
  password: server.password,
  database,
})
const httpAdmin = createClickHouse(overHttp('default'))
{
  const ceilingClient = createClickHouse(overHttp(await freshDatabase(httpAdmin, 'ceiling_http')))
  await settle(httpAdmin)
  results['sink.http.ceiling_rows_per_s'] = Math.round(await ceiling(ceilingClient))
  await ceilingClient.close()
  const database = await freshDatabase(httpAdmin, 'sink_http')
  await settle(httpAdmin)
  const run = await timedSink(prefix, { CLICKHOUSE_URL: server.url, CLICKHOUSE_PASSWORD: server.password, CLICKHOUSE_DATABASE: database })
  results['sink.http.rows_per_s'] = Math.round(run.sustained)
  results['sink.http.whole_run_rows_per_s'] = Math.round(run.whole)
}

phase('http done')
// --- 2. ClickHouse unavailable for OUTAGE_MS under load --------------------------------------------
{
  const { prefix: outagePrefix, topics: outageTopics, cleanedSchemaId: schemaId } = await freshSinkTopics()
  created.push(...sinkTopics(outageTopics))
  const database = await freshDatabase(httpAdmin, 'outage')
  const metrics = createRegistry('bench-outage')
  const sink = await sinkRun(
    outagePrefix,
    { CLICKHOUSE_URL: server.url, CLICKHOUSE_PASSWORD: server.password, CLICKHOUSE_DATABASE: database },
    metrics,
  )
  // Flowing first (every partition has loaded its ledger and inserted), then ClickHouse goes away.
  const warmUp = Array.from({ length: 6000 }, (_, k) => cleanedRecord(k, 99))
  await publishAll(producer, outageTopics.cleaned, schemaId, warmUp)
  while ((await metricValue(metrics, 'trends_sink_rows_inserted_total', { table: 'trend_observations' })) < warmUp.length) await sleep(50)
  await server.stop()
  const rssBefore = process.memoryUsage().rss
  let published = 0
  const expected = () => warmUp.length + published
  let mostRss = rssBefore
  let mostBuffered = 0
  const ends = Date.now() + OUTAGE_MS
  while (Date.now() < ends) {
    // Distinct observations (other days than above): ReplacingMergeTree would rightly merge repeats.
    const slice = Array.from({ length: 2000 }, (_, k) =>
      cleanedRecord((published + k) % 50_000, 100 + Math.floor((published + k) / 50_000)),
    )
    await publishAll(producer, outageTopics.cleaned, schemaId, slice)
    published += slice.length
    mostRss = Math.max(mostRss, process.memoryUsage().rss)
    mostBuffered = Math.max(mostBuffered, await metricValue(metrics, 'trends_sink_buffered_rows'))
    await sleep(100)
  }
  server = await serveProcess(httpFolder, httpPort)
  while ((await metricValue(metrics, 'trends_sink_rows_inserted_total', { table: 'trend_observations' })) < expected()) await sleep(100)
  await sink.stop()
  const check = createClickHouse(overHttp(database))
  const stored = Number(
    (await (await check.query({ query: 'SELECT count() AS n FROM trend_observations', format: 'JSONEachRow' })).json<{ n: string }>())[0]
      ?.n,
  )
  await check.close()
  if (stored !== expected()) throw new Error(`after the outage ClickHouse holds ${stored} of ${expected()} rows`)
  results['sink.outage_seconds'] = OUTAGE_MS / 1000
  results['sink.outage_records_published'] = published
  results['sink.outage_most_buffered_rows'] = mostBuffered
  results['sink.outage_buffer_bound_rows'] = 6 * 2 * BATCH_ROWS
  results['sink.outage_rss_before_mb'] = Math.round(rssBefore / 1024 / 1024)
  results['sink.outage_rss_most_mb'] = Math.round(mostRss / 1024 / 1024)
}

await producer.disconnect()
const kafkaAdmin = kafka.admin()
await kafkaAdmin.connect()
await kafkaAdmin.deleteTopics({ topics: created }).catch(() => undefined)
await kafkaAdmin.disconnect()
await admin.close()
await httpAdmin.close()
await server.stop()
rmSync(folder, { recursive: true, force: true })
rmSync(httpFolder, { recursive: true, force: true })

const ratio = (mode: string) => results[`sink.${mode}.rows_per_s`]! / results[`sink.${mode}.ceiling_rows_per_s`]!
results['sink.embedded.ratio_to_ceiling'] = Number(ratio('embedded').toFixed(3))
results['sink.http.ratio_to_ceiling'] = Number(ratio('http').toFixed(3))
results['sink.ratio_target'] = 0.9
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
for (const mode of ['embedded', 'http']) {
  process.stdout.write(
    `${mode}: ${results[`sink.${mode}.rows_per_s`]} rows/s = ${results[`sink.${mode}.ratio_to_ceiling`]} × the ceiling's ${results[`sink.${mode}.ceiling_rows_per_s`]} (batches of ${BATCH_ROWS}; target ≥ 0.9) ${ratio(mode) >= 0.9 ? 'MET' : 'NOT MET'}\n`,
  )
}
process.stdout.write(
  `outage: ${OUTAGE_MS / 1000} s without ClickHouse while ${results['sink.outage_records_published']} records arrived: at most ${results['sink.outage_most_buffered_rows']} rows buffered (bound ${results['sink.outage_buffer_bound_rows']}), RSS ${results['sink.outage_rss_before_mb']} MB before, at most ${results['sink.outage_rss_most_mb']} MB; all rows stored once after\n`,
)
