/**
 * Shadow replays: build every table again beside the live ones, compare, swap them in, roll back.
 * The commands of `trends replay --shadow | --verify | --swap | --rollback | --drop-previous`
 * (replay-main.ts parses the arguments; this file builds and drops a shadow, shadow-swap.ts swaps it
 * in and out). shadow.ts says what makes a sink a shadow sink.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { dataTables, databaseExists, shadowDatabaseStatement, migrate, MIGRATIONS_DIR } from '@trends/clickhouse'
import { ensureTopics, topicSpecs, topicsFor } from '@trends/kafka'
import { committed, ends, existingTopics, partitionKey as key, setGroupOffsets } from './group-offsets.ts'
import { loadPlan } from './ledger.ts'
import {
  readShadowState,
  shadowNormalizerGroup,
  shadowSinkGroup,
  shadowTopics,
  writeShadowState,
  type ShadowStage,
  type ShadowState,
} from './shadow.ts'
import { parseReplayFrom, type ReplayFrom } from './replay.ts'
import {
  behindLive,
  countRows,
  liveKeys,
  refuse,
  requireIdle,
  requireSameSchema,
  startShadowSink,
  type ShadowContext,
} from './shadow-context.ts'

export const DEFAULT_NORMALIZER_MAIN = path.resolve(import.meta.dirname, '../../normalizer/src/main.ts')

function describeRate(done: bigint, total: bigint, startedAt: number, now: number): string {
  const seconds = (now - startedAt) / 1000
  const rate = seconds > 0 ? Number(done) / seconds : 0
  const left = Number(total - done)
  const eta = rate > 0 && left > 0 ? `, ETA ${Math.ceil(left / rate)}s` : ''
  return `${Math.round(rate)} records/s${eta}`
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
