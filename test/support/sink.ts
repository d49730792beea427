import { spawn } from 'node:child_process'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { migrate, startClickHouseHttpServer, type ClickHouseClient, type ClickHouseHttpServer } from '@trends/clickhouse'
import { chunkByBytes, ensureTopics, registerTopicSchema, SEND_CHUNK_BYTES, topicsFor, type Admin, type Topics } from '@trends/kafka'
import { createRegistry, type Registry } from '@trends/metrics'
import type { CleanedRecord } from '@trends/normalizer'
import { createSink, loadSinkConfig, type Sink } from '@trends/sink'
import { defer, EMBEDDED_TEST_PATH, testLogger, useFreshDatabase, useProducer, type Cleanup } from '@trends/testing'
import { stackClients } from './raw-topics.ts'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 20, 12)

/**
 * A cleaned observation of the real shape: hashtag `i` of a US 7-day chart on `day` days before
 * 2026-11-20, with a three-point curve ending on its data date.
 */
export function cleanedRecord(i: number, day = 0, overrides: Partial<CleanedRecord> = {}): CleanedRecord {
  const date = Math.floor(NOW / DAY) - day
  const id = `${7_300_000_000_000_000_000n + BigInt(i)}`
  return {
    kind: 'hashtag',
    item_id: id,
    natural_key: `hashtag:US:7::${id}`,
    display_name: `Tag ${i}`,
    normalized_name: `tag ${i}`,
    country: 'US',
    period: 7,
    industry: null,
    rank: (i % 100) + 1,
    rank_is_position: false,
    rank_change: (i % 7) - 3,
    rank_diff_type: i % 4,
    posts: 1000 + i,
    views: 1_000_000 + i,
    likes: null,
    followers: null,
    curve: [0, 1, 2].map((back) => ({ at: (date - 2 + back) * DAY, value: 10 * back })),
    data_date: date,
    attributes: { hashtag_name: `tag${i}` },
    endpoint: 'hashtags-legacy',
    generation: 'legacy',
    fetched_at: NOW - day * DAY,
    observed_at: NOW - day * DAY + 1000,
    fetch_id: `fetch-${day}`,
    task_id: `task-${day}`,
    source_topic: 'tiktok.raw.hashtags',
    source_partition: i % 3,
    source_offset: i,
    source_schema_id: 1,
    chart_id: 'hashtags-legacy/US/7/all/sort_by=popular',
    normalizer_version: 1,
    ...overrides,
  }
}

/** A fetch-log entry as the worker writes it: page 1 of a legacy hashtag chart, answered with 50 items; `overrides` set the rest. */
export function fetchLogEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fetch_id: 'f-1',
    task_id: 't',
    endpoint: 'hashtags-legacy',
    family: 'hashtag',
    generation: 'legacy',
    page: 1,
    attempt: 1,
    outcome: 'ok',
    error_class: null,
    http_status: 200,
    latency_ms: 12,
    items: 50,
    will_retry: false,
    request_id: null,
    request_params: {},
    requested_at: Date.UTC(2026, 11, 2, 8),
    chart_id: 'hashtags-legacy/US/7/all/sort_by=popular',
    snapshot: null,
    ...overrides,
  }
}

/** Fresh topics under a new prefix with the cleaned schema registered; the sink's topics exist. */
export async function freshSinkTopics(): Promise<{ prefix: string; topics: Topics; cleanedSchemaId: number }> {
  const { kafka, registry } = stackClients()
  const prefix = `test-${randomSuffix()}`
  const topics = topicsFor(prefix)
  await ensureTopics(kafka, [
    { topic: topics.cleaned, numPartitions: 6 },
    { topic: topics.fetchLog, numPartitions: 3 },
    { topic: topics.deadLetters, numPartitions: 1 },
  ])
  const cleanedSchemaId = await registerTopicSchema(registry, topics.cleaned, 'tiktok.trends.cleaned.avsc')
  return { prefix, topics, cleanedSchemaId }
}

/** Encodes values with a schema id and publishes them to a topic, keyed by natural key. */
export async function publish(t: Cleanup, topic: string, schemaId: number, values: ReadonlyArray<object>): Promise<void> {
  const { registry } = stackClients()
  const producer = await useProducer(t, { idempotent: true })
  const messages = await Promise.all(
    values.map(async (value) => ({
      key: 'natural_key' in value && typeof value.natural_key === 'string' ? value.natural_key : null,
      value: await registry.encode(schemaId, value),
    })),
  )
  for (const chunk of chunkByBytes(messages, SEND_CHUNK_BYTES)) await producer.send({ topic, acks: -1, messages: chunk })
}

export interface SinkHarness {
  sink: Sink
  metrics: Registry
  database: string
  env: Record<string, string>
}

/** The sink's environment for a prefix and a database in this process's embedded store. */
export function sinkEnv(prefix: string, database: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TOPIC_PREFIX: prefix,
    SINK_GROUP_ID: `${prefix}.sink`,
    CLICKHOUSE_PATH: EMBEDDED_TEST_PATH,
    CLICKHOUSE_DATABASE: database,
    SINK_BATCH_WAIT: '200ms',
    SINK_RETRY_BASE: '50ms',
    SINK_RETRY_MAX: '500ms',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    ...extra,
  }
}

/** A migrated fresh database in this process's embedded store. */
export async function freshSinkDatabase(t: Cleanup): Promise<{ client: ClickHouseClient; database: string }> {
  const fresh = await useFreshDatabase(t, 'sink')
  await migrate(fresh.client)
  return fresh
}

/**
 * A sink in this process (stopped after the test): on the given client, or without one on the
 * client its settings make (server mode, CLICKHOUSE_URL in `env`). `start` is awaited unless told not to.
 */
export async function startSink(
  t: Cleanup,
  env: Record<string, string>,
  client?: ClickHouseClient,
  options: { awaitStart?: boolean } = {},
): Promise<SinkHarness & { started: Promise<void> }> {
  const config = loadSinkConfig({ ...process.env, ...env })
  const metrics = createRegistry(`sink-${randomSuffix(4)}`)
  const sink = createSink({ config, logger: testLogger('sink'), metrics, ...(client === undefined ? {} : { clickhouse: client }) })
  defer(t, () => sink.stop())
  const started = sink.start()
  if (options.awaitStart !== false) await started
  return { sink, metrics, database: config.clickhouse.database, env, started }
}

/** One number from a query (e.g. `SELECT count() AS n FROM …`). */
export async function queryNumber(client: ClickHouseClient, query: string): Promise<number> {
  const rows = await (await client.query({ query, format: 'JSONEachRow' })).json<{ n: string | number }>()
  return Number(rows[0]?.n ?? Number.NaN)
}

/** Polls `query` until `done` holds, or fails after `timeoutMs` with the last value. */
export async function waitForNumber(
  client: ClickHouseClient,
  query: string,
  done: (n: number) => boolean,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const n = await queryNumber(client, query)
    if (done(n)) return n
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${query}: last ${n}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Rows of a query against another process's embedded store (that process must have exited). */
export async function queryFolder<T>(folder: string, database: string, query: string): Promise<T[]> {
  const script = path.join(import.meta.dirname, 'chdb-query.ts')
  const child = spawn(process.execPath, [script, folder, database, query], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  if (code !== 0) throw new Error(`chdb-query exited ${code}`)
  return JSON.parse(out) as T[]
}

/** Offsets the group has committed on a topic, summed over its partitions (none committed: 0). */
export async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

/** Waits until ClickHouse has `expected` observations, lets a late repeat show, and checks there are exactly that many. */
export async function expectObservations(client: ClickHouseClient, expected: number, timeoutMs = 60_000): Promise<void> {
  await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= expected, timeoutMs)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const rows = await queryNumber(client, 'SELECT count() AS n FROM trend_observations')
  if (rows !== expected) throw new Error(`${rows} observations in ClickHouse, expected exactly ${expected}`)
}

/** `count` cleaned records on fresh topics, and a fresh migrated database for the sink. */
export async function publishedForSink(t: Cleanup, count: number) {
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  const { client, database } = await freshSinkDatabase(t)
  const records = Array.from({ length: count }, (_, i) => cleanedRecord(i))
  await publish(t, topics.cleaned, cleanedSchemaId, records)
  return { prefix, topics, cleanedSchemaId, client, database, records }
}

/**
 * Observations (and fetch-log entries) put into a fresh database through the real sink, in this
 * process's embedded store; returns once ClickHouse holds them all.
 */
export async function loadThroughSink(
  t: Cleanup,
  records: readonly CleanedRecord[],
  fetchLog: ReadonlyArray<Record<string, unknown>> = [],
): Promise<{ client: ClickHouseClient; database: string }> {
  const { client, database } = await freshSinkDatabase(t)
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  await publish(t, topics.cleaned, cleanedSchemaId, records)
  if (fetchLog.length > 0) {
    const { registry } = stackClients()
    await publish(t, topics.fetchLog, await registerTopicSchema(registry, topics.fetchLog, 'tiktok.fetch-log.avsc'), fetchLog)
  }
  await startSink(t, sinkEnv(prefix, database), client)
  await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= records.length)
  if (fetchLog.length > 0) await waitForNumber(client, 'SELECT count() AS n FROM fetch_log', (n) => n >= fetchLog.length)
  return { client, database }
}

/** This process's embedded store over HTTP on a fixed port (so a sink can lose it and find it again); closed after the test if still up. */
export async function serveStoreOn(t: Cleanup, port: number, users?: Record<string, string>): Promise<ClickHouseHttpServer> {
  const server = await startClickHouseHttpServer({ path: EMBEDDED_TEST_PATH, port, ...(users === undefined ? {} : { users }) })
  let closed = false
  const close = server.close.bind(server)
  server.close = async () => {
    if (closed) return
    closed = true
    await close()
  }
  t.after(() => server.close())
  return server
}
