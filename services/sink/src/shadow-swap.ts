/**
 * `trends replay --swap | --rollback`: brings the shadow up to the live sink, pauses the live sink
 * for the exchange, and resumes it on the swapped-in tables. swap-claims.ts says how the live sink
 * is paused and where it reads on.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { databaseExists, dataTables, exchangeTables } from '@trends/clickhouse'
import { topicsFor } from '@trends/kafka'
import { committed, ends, partitionKey as key, recordsBetween, setGroupOffsets } from './group-offsets.ts'
import { claimPartition, latestSwapClaim } from './ledger.ts'
import { parseSwapClaim, swapDone, swapFence } from './swap-claims.ts'
import { readShadowState, shadowSinkGroup, writeShadowState, type ShadowState } from './shadow.ts'
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
