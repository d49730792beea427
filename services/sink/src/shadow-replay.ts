/**
 * Shadow replays: build every table again beside the live ones, compare, swap them in, roll back.
 * The commands of `trends replay --shadow | --verify | --swap | --rollback | --drop-previous`
 * (replay-main.ts parses the arguments; this file does the work). shadow.ts says what makes a sink a
 * shadow sink; swap-claims.ts how the live sink is paused for the exchange and where it reads on.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TrendsError } from '@trends/core'
import {
  appliedMigrations,
  dataTables,
  databaseExists,
  exchangeTables,
  identifier,
  shadowDatabaseStatement,
  migrate,
  MIGRATIONS_DIR,
  schemaDifference,
  type ClickHouseClient,
} from '@trends/clickhouse'
import { ensureTopics, retrying, topicSpecs, topicsFor, type Admin, type Kafka, type Topics } from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { createSink, type Sink } from './app.ts'
import { committed, ends, existingTopics, groupState, partitionKey as key, recordsBetween, setGroupOffsets } from './group-offsets.ts'
import type { SinkConfig } from './config.ts'
import { claimPartition, latestSwapClaim, loadPlan, type PartitionKey } from './ledger.ts'
import { routesFor, type Route } from './routes.ts'
import { parseSwapClaim, swapDone, swapFence } from './swap-claims.ts'
import {
  readShadowState,
  shadowLeaveOut,
  shadowNormalizerGroup,
  shadowRoutes,
  shadowSinkGroup,
  shadowStore,
  shadowTopics,
  writeShadowState,
  type ShadowStage,
  type ShadowState,
} from './shadow.ts'
import { parseReplayFrom, type ReplayFrom } from './replay.ts'

export const DEFAULT_NORMALIZER_MAIN = path.resolve(import.meta.dirname, '../../normalizer/src/main.ts')

export interface ShadowContext {
  config: SinkConfig
  logger: Logger
  kafka: Kafka
  admin: Admin
  /** Clients of the live database and of the shadow database, on the same ClickHouse. */
  live: ClickHouseClient
  shadow: ClickHouseClient
  liveDatabase: string
  shadowDatabase: string
  normalizerGroupId: string
  /** CLICKHOUSE_CLUSTER: the shadow database, its migrations and the exchanges run on every replica. */
  cluster?: string
  /** Progress lines and summaries (stdout). */
  out: (line: string) => void
  /** How often progress is printed and positions are checked. */
  tickMs?: number
}

const refuse = (code: ConstructorParameters<typeof TrendsError>[0], message: string) => new TrendsError(code, message)

async function requireIdle(admin: Admin, groupIds: string[]): Promise<void> {
  for (const groupId of groupIds) {
    const state = await groupState(admin, groupId)
    if (state !== 'Empty' && state !== 'Dead')
      throw refuse('REPLAY_RUNNING', `a shadow replay is running (consumer group ${groupId} is ${state}): wait for it, or stop it first`)
  }
}

/** Every partition the live sink loads, as the ledger and the claims key it. */
async function liveKeys(ctx: ShadowContext, topics: Topics): Promise<PartitionKey[]> {
  const keys: PartitionKey[] = []
  for (const route of routesFor(topics)) {
    if ((await existingTopics(ctx.admin, [route.topic])).length === 0) continue
    for (const p of await retrying(() => ctx.admin.fetchTopicOffsets(route.topic)))
      keys.push({ target: route.table, topic: route.topic, partition: p.partition })
  }
  return keys
}

/**
 * How far the shadow sink's group is behind the live ledger, per followed partition: 0 when the
 * live ledger has no range from its committed offset on (then the shadow holds all the live tables
 * hold or will hold of that partition).
 */
async function behindLive(ctx: ShadowContext, keys: PartitionKey[], groupId: string): Promise<{ records: bigint; partitions: number }> {
  const at = await committed(ctx.admin, groupId, [...new Set(keys.map((k) => k.topic))])
  let records = 0n
  let partitions = 0
  for (const k of keys) {
    const from = at.get(key(k.topic, k.partition)) ?? 0n
    const { plan } = await loadPlan(ctx.live, k.target, k.topic, k.partition, from, 100_000)
    if (plan.length === 0) continue
    partitions++
    records += plan.at(-1)!.last + 1n - from
  }
  return { records, partitions }
}

function shadowSinkConfig(ctx: ShadowContext): SinkConfig {
  return {
    ...ctx.config,
    groupId: shadowSinkGroup(ctx.config.groupId),
    clickhouse: { ...ctx.config.clickhouse, database: ctx.shadowDatabase },
    migrate: false,
    // The replay's own process: its operations endpoint is not served.
    health: { ...ctx.config.health, port: 0 },
  }
}

/** A shadow sink on the shadow database: the live topics following the live ledger, and the shadow topics when `state` has the normalizer stage. */
function startShadowSink(ctx: ShadowContext, state: ShadowState | undefined): { sink: Sink; routes: Route[] } {
  const topics = topicsFor(ctx.config.topicPrefix)
  const routes = shadowRoutes(topics, state?.stage === 'normalizer' ? shadowTopics(ctx.config.topicPrefix) : undefined)
  const sink = createSink({
    config: shadowSinkConfig(ctx),
    logger: ctx.logger,
    metrics: createRegistry('replay'),
    clickhouse: ctx.shadow,
    shadow: {
      routes,
      store: shadowStore(ctx.live, routes),
      leaveOut: shadowLeaveOut(state?.stage === 'normalizer' ? state.rawEnds : undefined),
      deadLetterTopic: shadowTopics(ctx.config.topicPrefix).deadLetters,
    },
  })
  return { sink, routes }
}

/** Fails when the live and the shadow tables were made by different migrations (a swap exchanges like for like). */
async function requireSameSchema(ctx: ShadowContext): Promise<void> {
  const problems = schemaDifference(
    await appliedMigrations(ctx.live, ctx.liveDatabase),
    await appliedMigrations(ctx.live, ctx.shadowDatabase),
  )
  if (problems.length > 0)
    throw refuse('REPLAY_SCHEMA_MISMATCH', `the shadow tables have another schema than the live ones: ${problems.join('; ')}`)
}

function describeRate(done: bigint, total: bigint, startedAt: number, now: number): string {
  const seconds = (now - startedAt) / 1000
  const rate = seconds > 0 ? Number(done) / seconds : 0
  const left = Number(total - done)
  const eta = rate > 0 && left > 0 ? `, ETA ${Math.ceil(left / rate)}s` : ''
  return `${Math.round(rate)} records/s${eta}`
}

async function countRows(client: ClickHouseClient, database: string, table: string): Promise<bigint> {
  const rows = await (
    await client.query({ query: `SELECT count() AS n FROM ${identifier(database)}.${identifier(table)}`, format: 'JSONEachRow' })
  ).json<{ n: string }>()
  return BigInt(rows[0]?.n ?? 0)
}

/** Starts the shadow normalizer: the normalizer at `main` (the new code), into the shadow topics, in its own group. */
function spawnShadowNormalizer(ctx: ShadowContext, main: string): ChildProcess {
  const group = shadowNormalizerGroup(ctx.normalizerGroupId)
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      TOPIC_PREFIX: ctx.config.topicPrefix,
      NORMALIZER_OUTPUT_PREFIX: `${ctx.config.topicPrefix}.shadow`,
      NORMALIZER_GROUP_ID: group,
      NORMALIZER_TRANSACTIONAL_ID: `${group}.1`,
      METRICS_PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return child
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

/** Where the shadow groups start in a new replay: the normalizer's on the raw topics, the sink's on the live topics. */
async function startOffsets(
  ctx: ShadowContext,
  stage: ShadowStage,
  from: ReplayFrom,
  cleanedEnds: Map<string, { low: bigint; high: bigint }>,
  rawEnds: Map<string, { low: bigint; high: bigint }>,
): Promise<{ raw: Map<string, bigint>; live: Map<string, bigint> }> {
  const startIn = async (topic: string, partition: number, range: { low: bigint; high: bigint }): Promise<bigint> => {
    let at = from.kind === 'earliest' ? range.low : from.kind === 'offset' ? from.offset : range.high
    if (from.kind === 'time') {
      const byTime = await ctx.admin.fetchTopicOffsetsByTimestamp(topic, from.ms)
      at = BigInt(byTime.find((p) => p.partition === partition)?.offset ?? range.high)
    }
    return at < range.low ? range.low : at > range.high ? range.high : at
  }
  const raw = new Map<string, bigint>()
  const live = new Map<string, bigint>()
  const topics = topicsFor(ctx.config.topicPrefix)
  if (stage === 'normalizer') {
    for (const [k, range] of rawEnds) {
      const [topic, partition] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))]
      raw.set(k, await startIn(topic, partition, range))
    }
  }
  const keys = await liveKeys(ctx, topics)
  const all = await ends(ctx.admin, [...new Set(keys.map((k) => k.topic))])
  for (const k of keys) {
    const range = all.get(key(k.topic, k.partition)) ?? { low: 0n, high: 0n }
    let at: bigint
    if (stage === 'normalizer') {
      // The cleaned topic from its end when the replay began (what lies before is reprocessed), at a
      // batch boundary of the live ledger; every other topic whole.
      at = k.topic === topics.cleaned ? (cleanedEnds.get(key(k.topic, k.partition))?.high ?? range.low) : range.low
    } else {
      at = await startIn(k.topic, k.partition, range)
    }
    const { plan } = await loadPlan(ctx.live, k.target, k.topic, k.partition, at, 1)
    live.set(key(k.topic, k.partition), plan[0] !== undefined && plan[0].first <= at ? plan[0].first : at)
  }
  return { raw, live }
}

export interface ShadowOptions {
  stage: ShadowStage
  from: string
  /** The normalizer to run for the normalizer stage (the new code). */
  normalizerMain: string
  /** Set when the process is asked to stop: the replay stops where it is, to be resumed. */
  signal?: AbortSignal
}

/**
 * `--shadow`: starts (or resumes) a shadow replay and runs it until the shadow tables hold all the
 * live ones do (reprocessed where the stage says), printing progress. Stopped early, it resumes
 * where it was when run again.
 */
export async function runShadow(ctx: ShadowContext, options: ShadowOptions): Promise<ShadowState> {
  const topics = topicsFor(ctx.config.topicPrefix)
  let state = (await databaseExists(ctx.live, ctx.shadowDatabase)) ? await readShadowState(ctx.live, ctx.shadowDatabase) : undefined
  if (state?.status === 'swapped' || state?.status === 'rolled-back')
    throw refuse(
      'REPLAY_WRONG_STATE',
      `${ctx.shadowDatabase} holds the ${state.status === 'swapped' ? 'previous' : 'replayed'} tables of replay ${state.id}: roll back (--rollback) or drop them (--drop-previous) before another replay`,
    )
  if (state !== undefined && state.stage !== options.stage)
    throw refuse(
      'REPLAY_RUNNING',
      `replay ${state.id} (--stage ${state.stage}) is not finished: run it again to resume it, or --drop-previous`,
    )
  await requireIdle(ctx.admin, [shadowSinkGroup(ctx.config.groupId), shadowNormalizerGroup(ctx.normalizerGroupId)])
  if (state === undefined) {
    if (await databaseExists(ctx.live, ctx.shadowDatabase)) {
      if ((await dataTables(ctx.live, ctx.shadowDatabase)).length > 0)
        throw refuse('REPLAY_WRONG_STATE', `${ctx.shadowDatabase} exists and holds tables of no replay: drop it first`)
    }
    const from = parseReplayFrom(options.from)
    // The cleaned topic's end first, then the raw topics': every cleaned record of a raw record
    // past the raw ends is past the cleaned end.
    const cleanedEnds = await ends(ctx.admin, await existingTopics(ctx.admin, [topics.cleaned]))
    const rawEnds =
      options.stage === 'normalizer'
        ? await ends(ctx.admin, await existingTopics(ctx.admin, topics.allRaw()))
        : new Map<string, { low: bigint; high: bigint }>()
    await ctx.live.command({ query: shadowDatabaseStatement('create', ctx.shadowDatabase, ctx.cluster) })
    await migrate(ctx.shadow, MIGRATIONS_DIR, { cluster: ctx.cluster })
    await migrate(ctx.live, MIGRATIONS_DIR, { cluster: ctx.cluster })
    await requireSameSchema(ctx)
    const starts = await startOffsets(ctx, options.stage, from, cleanedEnds, rawEnds)
    await setGroupOffsets(ctx.admin, shadowSinkGroup(ctx.config.groupId), starts.live)
    if (options.stage === 'normalizer') await setGroupOffsets(ctx.admin, shadowNormalizerGroup(ctx.normalizerGroupId), starts.raw)
    state = {
      id: randomUUID().slice(0, 8),
      stage: options.stage,
      from: options.from,
      startedAt: Date.now(),
      rawEnds: Object.fromEntries([...rawEnds].map(([k, range]) => [k, range.high.toString()])),
      rawStarts: Object.fromEntries([...starts.raw].map(([k, at]) => [k, at.toString()])),
      status: 'building',
    }
    await writeShadowState(ctx.live, ctx.shadowDatabase, state)
    ctx.out(`shadow replay ${state.id}: --stage ${state.stage} --from ${state.from} into ${ctx.shadowDatabase}`)
  } else {
    await requireSameSchema(ctx)
    ctx.out(`shadow replay ${state.id}: resumed (--stage ${state.stage} --from ${state.from})`)
  }
  const current = state
  const rawTopics = [...new Set(Object.keys(current.rawEnds).map((k) => k.slice(0, k.lastIndexOf(':'))))]
  const normalizerTotal = Object.entries(current.rawEnds).reduce(
    (sum, [k, end]) => sum + (BigInt(end) - BigInt(current.rawStarts[k] ?? end)),
    0n,
  )
  let normalizer: ChildProcess | undefined
  let normalizerDone = current.stage !== 'normalizer' || normalizerTotal === 0n
  // The shadow normalizer's topics exist before the shadow sink subscribes to them.
  if (current.stage === 'normalizer')
    await ensureTopics(ctx.kafka, topicSpecs(shadowTopics(ctx.config.topicPrefix), ctx.config.layout, ['cleaned', 'deadLetters']))
  const { sink, routes } = startShadowSink(ctx, current)
  const keys = (await liveKeys(ctx, topics)).filter((k) => routes.some((route) => route.topic === k.topic))
  const ownTopics = routes.filter((route) => route.follow !== true).map((route) => route.topic)
  const startedAt = Date.now()
  let firstDone: bigint | undefined
  try {
    await sink.start()
    if (!normalizerDone) normalizer = spawnShadowNormalizer(ctx, options.normalizerMain)
    for (;;) {
      if (options.signal?.aborted === true) {
        ctx.out(`shadow replay ${current.id}: stopped; run the same command again to resume`)
        return current
      }
      if (normalizer !== undefined && normalizer.exitCode !== null)
        throw new Error(`the shadow normalizer exited (${normalizer.exitCode}) before it was done`)
      let normalizerLine = ''
      if (current.stage === 'normalizer') {
        const at = await committed(ctx.admin, shadowNormalizerGroup(ctx.normalizerGroupId), rawTopics)
        let done = 0n
        let left = false
        for (const [k, end] of Object.entries(current.rawEnds)) {
          const start = BigInt(current.rawStarts[k] ?? end)
          const position = at.get(k) ?? start
          done += (position > BigInt(end) ? BigInt(end) : position) - start
          if (position < BigInt(end)) left = true
        }
        firstDone ??= done
        normalizerLine = `normalizer ${done}/${normalizerTotal} raw records (${normalizerTotal === 0n ? 100 : Number((done * 100n) / normalizerTotal)}%, ${describeRate(done - firstDone, normalizerTotal - firstDone, startedAt, Date.now())}), `
        if (!left && !normalizerDone) {
          normalizerDone = true
          if (normalizer !== undefined) await stopChild(normalizer)
          normalizer = undefined
        }
      }
      const behind = await behindLive(ctx, keys, shadowSinkGroup(ctx.config.groupId))
      let ownLeft = 0n
      if (ownTopics.length > 0) {
        const at = await committed(ctx.admin, shadowSinkGroup(ctx.config.groupId), ownTopics)
        for (const [k, range] of await ends(ctx.admin, await existingTopics(ctx.admin, ownTopics))) {
          const position = at.get(k) ?? range.low
          if (position >= range.high) continue
          // Short of the end: records, or only the transaction markers the shadow normalizer wrote last.
          const seen = sink.lag(k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1)))
          ownLeft += seen === undefined ? range.high - position : BigInt(seen)
        }
      }
      const rows = await countRows(ctx.live, ctx.shadowDatabase, 'trend_observations')
      ctx.out(
        `shadow replay ${current.id}: ${normalizerLine}sink behind the live ledger by ${behind.records} records in ${behind.partitions} of ${keys.length} partitions` +
          (ownTopics.length > 0 ? `, ${ownLeft} shadow-topic records to load` : '') +
          `, ${rows} rows in ${ctx.shadowDatabase}.trend_observations`,
      )
      if (normalizerDone && behind.partitions === 0 && ownLeft === 0n) break
      await sleep(ctx.tickMs ?? 2000, undefined, { signal: options.signal }).catch(() => undefined)
    }
  } finally {
    if (normalizer !== undefined) await stopChild(normalizer)
    await sink.stop()
  }
  const ready: ShadowState = { ...current, status: 'ready' }
  await writeShadowState(ctx.live, ctx.shadowDatabase, ready)
  ctx.out(`shadow replay ${current.id}: ready — compare with --verify, then --swap (the live sink keeps writing meanwhile)`)
  return ready
}

export interface SwapOptions {
  /** How long it may take to bring the shadow up to the live sink, before and while the live sink is paused. */
  timeoutMs: number
  /** How far behind (records) the shadow may be when the live sink is paused. */
  maxBehind?: bigint
}

/**
 * `--swap` (and `--rollback`, the same the other way): brings the tables of the shadow database up
 * to the live ledger's end while the live sink runs; pauses the live sink (claims `swap:<id>` on
 * every partition), brings them up to its very end, exchanges every table pair, and resumes the live
 * sink where the swapped-in ledger ends (`swap-done:<id>@<offset>`). Nothing is lost or doubled:
 * the swapped-in tables hold every range of the live ledger, and the live sink reads on after it.
 */
export async function runSwap(ctx: ShadowContext, direction: 'swap' | 'rollback', options: SwapOptions): Promise<ShadowState> {
  const state = (await databaseExists(ctx.live, ctx.shadowDatabase)) ? await readShadowState(ctx.live, ctx.shadowDatabase) : undefined
  if (state === undefined) {
    throw direction === 'swap'
      ? refuse('REPLAY_NO_SHADOW', `no shadow replay in ${ctx.shadowDatabase}: build one with --shadow first`)
      : refuse('REPLAY_NO_PREVIOUS', `no previous tables in ${ctx.shadowDatabase}: there is nothing to roll back to`)
  }
  if (direction === 'swap' && state.status === 'building')
    throw refuse('REPLAY_SHADOW_BEHIND', `shadow replay ${state.id} is not finished: run --shadow again until it says ready`)
  if (direction === 'swap' && state.status === 'swapped')
    throw refuse('REPLAY_WRONG_STATE', `replay ${state.id} is swapped in already: --rollback, or --drop-previous to keep it`)
  if (direction === 'rollback' && state.status !== 'swapped')
    throw refuse(
      'REPLAY_NO_PREVIOUS',
      `no previous tables in ${ctx.shadowDatabase} (replay ${state.id} is ${state.status}): nothing to roll back to`,
    )
  await requireSameSchema(ctx)
  await requireIdle(ctx.admin, [shadowSinkGroup(ctx.config.groupId)])
  const liveTables = await dataTables(ctx.live, ctx.liveDatabase)
  const shadowTables = await dataTables(ctx.live, ctx.shadowDatabase)
  if (liveTables.join() !== shadowTables.join())
    throw refuse('REPLAY_SCHEMA_MISMATCH', `the tables differ: live ${liveTables.join(', ')}; shadow ${shadowTables.join(', ')}`)
  const topics = topicsFor(ctx.config.topicPrefix)
  const keys = await liveKeys(ctx, topics)
  // A swap that died while the live sink was paused left its fence: this one lifts it first (the
  // live sink reads on where it was, on its own tables).
  for (const k of keys) {
    const left = parseSwapClaim(await latestSwapClaim(ctx.live, k))
    if (left?.kind === 'fence') await claimPartition(ctx.live, k, swapDone(left.id, undefined))
  }
  const deadline = Date.now() + options.timeoutMs
  const waitFor = async (what: string, done: () => Promise<boolean>) => {
    while (!(await done())) {
      if (Date.now() > deadline) throw refuse('REPLAY_SHADOW_BEHIND', `${what} within ${options.timeoutMs / 1000}s; nothing changed`)
      await sleep(ctx.tickMs ?? 500)
    }
  }

  // Records the live normalizer reads from the raw topics before their ends at the replay's start
  // come reprocessed from the shadow topics: the swap waits until the live tables hold them all (so
  // none reaches the live sink after the swap, when it no longer leaves them out).
  if (direction === 'swap' && state.stage === 'normalizer') {
    const rawTopics = [...new Set(Object.keys(state.rawEnds).map((k) => k.slice(0, k.lastIndexOf(':'))))]
    await waitFor('the live normalizer has not read the raw topics up to where the replay began', async () => {
      const at = await committed(ctx.admin, ctx.normalizerGroupId, rawTopics)
      return Object.entries(state.rawEnds).every(([k, end]) => (at.get(k) ?? 0n) >= BigInt(end))
    })
    const cleaned = await ends(ctx.admin, [topics.cleaned])
    await waitFor('the live sink has not loaded the cleaned topic up to its end', async () => {
      const at = await committed(ctx.admin, ctx.config.groupId, [topics.cleaned])
      const short = new Map<number, { from: bigint; to: bigint }>()
      for (const [k, range] of cleaned) {
        const position = at.get(k) ?? range.low
        if (position < range.high) short.set(Number(k.slice(k.lastIndexOf(':') + 1)), { from: position, to: range.high })
      }
      // Short of the end by transaction markers only (no committed offset steps over the last ones) is there.
      return short.size === 0 || !(await recordsBetween(ctx.kafka, ctx.admin, topics.cleaned, short))
    })
  }

  // The tables being brought up to date read on from their own ledger's last range (formed again
  // under its token: dropped if they have it).
  const restart = new Map<string, bigint>()
  for (const k of keys) {
    const rows = await (
      await ctx.shadow.query({
        query: `SELECT first FROM sink_batches FINAL WHERE target = {target:String} AND topic = {topic:String} AND partition = {partition:UInt16}
                ORDER BY last DESC LIMIT 1`,
        query_params: { ...k },
        format: 'JSONEachRow',
      })
    ).json<{ first: string }>()
    if (rows[0] !== undefined) restart.set(key(k.topic, k.partition), BigInt(rows[0].first))
  }
  await setGroupOffsets(ctx.admin, shadowSinkGroup(ctx.config.groupId), restart)

  const { sink } = startShadowSink(ctx, direction === 'swap' ? state : undefined)
  const group = shadowSinkGroup(ctx.config.groupId)
  const id = randomUUID().slice(0, 8)
  let fenced = false
  let stopped = false
  try {
    await sink.start()
    await waitFor('the shadow could not come close to the live sink', async () => {
      const behind = await behindLive(ctx, keys, group)
      return behind.records <= (options.maxBehind ?? BigInt(2 * ctx.config.batchRows))
    })
    // Pause the live sink: every lane checks the latest claim before each insert.
    const pausedAt = Date.now()
    for (const k of keys) await claimPartition(ctx.live, k, swapFence(id))
    fenced = true
    await settleLedger(ctx)
    await waitFor(
      'the shadow could not reach the end of the live ledger',
      async () => (await behindLive(ctx, keys, group)).partitions === 0,
    )
    await sink.stop()
    stopped = true
    if ((await behindLive(ctx, keys, group)).partitions > 0)
      throw refuse('REPLAY_SHADOW_BEHIND', 'the shadow stopped short of the end of the live ledger; nothing changed')
    const resumeAt = await committed(ctx.admin, group, [...new Set(keys.map((k) => k.topic))])
    // The swapped-in claims fence the live sink as well, until the done claims below.
    for (const k of keys) await claimPartition(ctx.shadow, k, swapFence(id))
    const method = await exchangeTables(ctx.live, ctx.liveDatabase, ctx.shadowDatabase, liveTables, ctx.cluster)
    for (const k of keys) await claimPartition(ctx.live, k, swapDone(id, resumeAt.get(key(k.topic, k.partition))))
    fenced = false
    const pausedMs = Date.now() - pausedAt
    const next: ShadowState = {
      ...state,
      status: direction === 'swap' ? 'swapped' : 'rolled-back',
      lastSwap: { id, at: Date.now(), pausedMs },
    }
    await writeShadowState(ctx.live, ctx.shadowDatabase, next)
    const how = method === 'rename' ? ' by RENAME (a database engine that cannot EXCHANGE: readers may have missed a table meanwhile)' : ''
    ctx.out(
      direction === 'swap'
        ? `swapped ${liveTables.length} tables${how} (replay ${state.id}); the live sink paused ${(pausedMs / 1000).toFixed(1)}s; the previous tables stay in ${ctx.shadowDatabase} for --rollback until --drop-previous`
        : `rolled back ${liveTables.length} tables${how} (replay ${state.id}); the live sink paused ${(pausedMs / 1000).toFixed(1)}s; the replayed tables stay in ${ctx.shadowDatabase} until --drop-previous`,
    )
    return next
  } finally {
    if (!stopped) await sink.stop()
    // Given up while the live sink was paused: it resumes on its own tables where it was.
    if (fenced) for (const k of keys) await claimPartition(ctx.live, k, swapDone(id, undefined))
  }
}

/** Waits (at most 10 s) until the live ledger has not grown for a second: lanes past their check when the fence came have landed. */
async function settleLedger(ctx: ShadowContext): Promise<void> {
  const size = async () => countRows(ctx.live, ctx.liveDatabase, 'sink_batches')
  let last = await size()
  let quietSince = Date.now()
  const until = Date.now() + 10_000
  while (Date.now() < until && Date.now() - quietSince < 1000) {
    await sleep(200)
    const now = await size()
    if (now !== last) {
      last = now
      quietSince = Date.now()
    }
  }
}

/** `--drop-previous`: drops the shadow database (the previous tables after a swap, or an unfinished replay), its topics and its groups. */
export async function dropPrevious(ctx: ShadowContext): Promise<void> {
  if (!(await databaseExists(ctx.live, ctx.shadowDatabase)))
    throw refuse('REPLAY_NO_PREVIOUS', `no ${ctx.shadowDatabase}: there is nothing to drop`)
  const state = await readShadowState(ctx.live, ctx.shadowDatabase)
  await requireIdle(ctx.admin, [shadowSinkGroup(ctx.config.groupId), shadowNormalizerGroup(ctx.normalizerGroupId)])
  await ctx.live.command({ query: shadowDatabaseStatement('drop', ctx.shadowDatabase, ctx.cluster) })
  const shadow = shadowTopics(ctx.config.topicPrefix)
  const topics = await existingTopics(ctx.admin, [shadow.cleaned, shadow.deadLetters])
  if (topics.length > 0) await ctx.admin.deleteTopics({ topics })
  const groups = [shadowSinkGroup(ctx.config.groupId), shadowNormalizerGroup(ctx.normalizerGroupId)]
  const { groups: found } = await ctx.admin.describeGroups(groups)
  const existing = found.filter((g) => g.state !== 'Dead').map((g) => g.groupId)
  if (existing.length > 0) await ctx.admin.deleteGroups(existing)
  ctx.out(
    `dropped ${ctx.shadowDatabase}${state === undefined ? '' : ` (replay ${state.id}, ${state.status})`}, its topics and its consumer groups`,
  )
}
