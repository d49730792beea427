#!/usr/bin/env node
/**
 * Replay: `node services/sink/src/replay-main.ts --from earliest` (or `npm run replay -- --from …`).
 * Moves the sink group back and runs a sink until it has read the replayed range again.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isTrendsError, parseDuration, TrendsError } from '@trends/core'
import { clusterOf, createClickHouse, databaseExists, migrate, MIGRATIONS_DIR, shadowDatabase } from '@trends/clickhouse'
import { createKafka, topicsFor } from '@trends/kafka'
import { configOrExit, createLogger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { createSink } from './app.ts'
import { loadSinkConfig } from './config.ts'
import { routesFor } from './routes.ts'
import { applyReplay, parseReplayFrom, planReplay, replayProgress } from './replay.ts'
import { readShadowState } from './shadow.ts'
import type { ShadowContext } from './shadow-context.ts'
import { DEFAULT_NORMALIZER_MAIN, dropPrevious, runShadow } from './shadow-replay.ts'
import { runSwap } from './shadow-swap.ts'
import { verifyShadow } from './shadow-verify.ts'

const HELP = `Usage: node services/sink/src/replay-main.ts --from <earliest|offset|time> [--topic <name>]... [--stage sink|normalizer] [--dry-run]
       node services/sink/src/replay-main.ts --shadow --from <…> [--stage normalizer|sink] [--normalizer <main.ts>]
       node services/sink/src/replay-main.ts --verify | --swap [--timeout 2m] | --rollback [--timeout 2m] | --drop-previous

--stage sink (the default): reads topics again into ClickHouse through the sink's consumer group
(SINK_GROUP_ID); its sinks must be stopped. Batches are formed again as the batch ledger recorded
them, so ClickHouse drops what it already holds (within each table's insert-deduplication window;
the plan warns beyond it).

--stage normalizer: moves the normalizer's group (NORMALIZER_GROUP_ID, tiktok-normalizer) back on
the raw topics, to reprocess them after a fix; its normalizers must be stopped. Start them again
afterwards; with NORMALIZER_DEDUP=false they publish again what the cleaned topic already has (and
the sink's tables keep the newest row per item and snapshot), otherwise they drop it.

  --from      earliest, an offset (in every partition) or an ISO time such as 2026-11-20T06:00Z
  --topic     sink: cleaned, fetch-log or dead-letters (repeatable; default: all three)
  --stage     sink or normalizer
  --dry-run   print the plan and its warnings, change nothing

Shadow replays: rebuild every table beside the live ones (in <CLICKHOUSE_DATABASE>_shadow), while
the live tables keep serving and the live sink keeps writing; compare; swap; roll back.
  --shadow         build (or resume) a shadow replay: --stage normalizer runs the normalizer at
                   --normalizer (the new code) over the raw topics from --from into topics of its
                   own (<TOPIC_PREFIX>.shadow.*); --stage sink reads the live topics again. Prints
                   progress (partitions, offsets, rows, rate, ETA); stop it with Ctrl-C and run it
                   again to resume. Ends when the shadow holds all the live tables do.
  --verify         compare the shadow with the live tables: rows per kind, chart and day, items
                   only in one side, values that differ (a sample, with each side's normalizer
                   version), dead letters per side. Exit 0 when every difference is where the
                   shadow's normalizer version is newer, 1 otherwise.
  --swap           bring the shadow up to the live sink, pause the live sink, exchange every table
                   pair, resume the live sink on the swapped-in tables where they end.
  --rollback       the same back: the previous tables, brought up to date, are swapped in again.
  --drop-previous  drop the shadow database (previous tables, or an unfinished replay), its topics
                   and its consumer groups.
  --normalizer     the normalizer to run for --shadow --stage normalizer (default: this checkout's)
  --timeout        how long --swap/--rollback may take to bring the tables up to the live sink
                   (a duration; default 2m); past it nothing is changed and the exit code is 1.
Refusals (nothing changed) exit 2.

Environment: as the sink (node services/sink/src/main.ts --help).
`

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    topic: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    stage: { type: 'string', default: 'sink' },
    shadow: { type: 'boolean' },
    verify: { type: 'boolean' },
    swap: { type: 'boolean' },
    rollback: { type: 'boolean' },
    'drop-previous': { type: 'boolean' },
    normalizer: { type: 'string' },
    timeout: { type: 'string', default: '2m' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
const shadowMode = (['shadow', 'verify', 'swap', 'rollback', 'drop-previous'] as const).filter((mode) => values[mode] === true)
const timeoutMs = parseDuration(values.timeout ?? '2m')
const config = configOrExit('replay', HELP, () => {
  if (shadowMode.length > 1) throw new Error(`one of --${shadowMode.join(', --')} at a time`)
  if (timeoutMs === undefined) throw new Error(`--timeout: a duration such as 90s or 2m (got ${JSON.stringify(values.timeout)})`)
  if (values.from === undefined && (shadowMode.length === 0 || shadowMode[0] === 'shadow'))
    throw new Error('--from is required (earliest, an offset or a time)')
  if (values.stage !== 'sink' && values.stage !== 'normalizer')
    throw new Error(`--stage: sink or normalizer (got ${JSON.stringify(values.stage)})`)
  return loadSinkConfig()
})
const fail = (error: unknown): never => {
  process.stderr.write(
    `replay: ${isTrendsError(error) ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error)}\n`,
  )
  process.exit(1)
}

// Logs go to stderr: stdout is the plan, the progress and the summaries.
const logger = createLogger({ service: 'replay', level: config.logLevel, destination: process.stderr })

if (shadowMode.length > 0) {
  const mode = shadowMode[0]!
  const kafka = createKafka(config.kafka, { logger })
  const admin = kafka.admin()
  const liveDatabase = config.clickhouse.database
  const ctx: ShadowContext = {
    config,
    logger,
    kafka,
    admin,
    live: createClickHouse(config.clickhouse, logger),
    shadow: createClickHouse({ ...config.clickhouse, database: shadowDatabase(liveDatabase) }, logger),
    liveDatabase,
    shadowDatabase: shadowDatabase(liveDatabase),
    normalizerGroupId: process.env['NORMALIZER_GROUP_ID']?.trim() || 'tiktok-normalizer',
    cluster: clusterOf(config.clickhouse),
    out: (line) => process.stdout.write(`${line}\n`),
  }
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  process.once('SIGTERM', () => stop.abort())
  let code = 0
  try {
    await admin.connect()
    if (mode === 'shadow') {
      await runShadow(ctx, {
        stage: values.stage as 'normalizer' | 'sink',
        from: values.from ?? 'earliest',
        normalizerMain: path.resolve(values.normalizer ?? DEFAULT_NORMALIZER_MAIN),
        signal: stop.signal,
      })
    } else if (mode === 'verify') {
      const state = (await databaseExists(ctx.live, ctx.shadowDatabase)) ? await readShadowState(ctx.live, ctx.shadowDatabase) : undefined
      if (state === undefined)
        throw new TrendsError('REPLAY_NO_SHADOW', `no shadow replay in ${ctx.shadowDatabase}: build one with --shadow first`)
      // After a swap the live tables are the replayed ones: compare the previous (shadow) with them the other way round.
      const [newer, older] = state.status === 'swapped' ? [ctx.liveDatabase, ctx.shadowDatabase] : [ctx.shadowDatabase, ctx.liveDatabase]
      const summary = await verifyShadow(ctx.live, older, newer, state)
      for (const line of summary.lines) ctx.out(line)
      code = summary.unexplained === 0 ? 0 : 1
    } else if (mode === 'swap' || mode === 'rollback') {
      await runSwap(ctx, mode, { timeoutMs: timeoutMs! })
    } else {
      await dropPrevious(ctx)
    }
  } catch (error) {
    const refused = isTrendsError(error) && error.code.startsWith('REPLAY_') && error.code !== 'REPLAY_SHADOW_BEHIND'
    process.stderr.write(
      `replay: ${isTrendsError(error) ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error)}\n`,
    )
    code = refused ? 2 : 1
  }
  await admin.disconnect().catch(() => undefined)
  await ctx.live.close()
  await ctx.shadow.close()
  process.exit(code)
}
const routes = routesFor(topicsFor(config.topicPrefix)).filter(
  (route) => values.topic === undefined || values.topic.includes(route.name === 'observations' ? 'cleaned' : route.name),
)
if (routes.length === 0) fail(new Error('--topic: cleaned, fetch-log or dead-letters'))

const kafka = createKafka(config.kafka, { logger })
const admin = kafka.admin()

if (values.stage === 'normalizer') {
  // The raw topics that exist, through the normalizer's group; nothing runs here.
  const groupId = process.env['NORMALIZER_GROUP_ID']?.trim() || 'tiktok-normalizer'
  try {
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const raw = topicsFor(config.topicPrefix)
      .allRaw()
      .filter((topic) => existing.has(topic))
      .map((topic) => ({ topic, table: 'normalizer' }))
    const plan = await planReplay(admin, undefined, raw, parseReplayFrom(values.from ?? ''))
    for (const p of plan.partitions) process.stdout.write(`${p.topic}[${p.partition}]  offsets ${p.from}–${p.end - 1n} → normalizer\n`)
    process.stdout.write(`${plan.records} raw records to normalize again\n`)
    if (values['dry-run'] !== true && plan.records > 0n) {
      await applyReplay(admin, groupId, plan)
      process.stdout.write(
        `group ${groupId} moved back: start the normalizers (NORMALIZER_DEDUP=false to publish again what the cleaned topic has)\n`,
      )
    }
    await admin.disconnect()
    process.exit(0)
  } catch (error) {
    fail(error)
  }
}

const clickhouse = createClickHouse(config.clickhouse, logger)
try {
  await admin.connect()
  await migrate(clickhouse, MIGRATIONS_DIR, { cluster: clusterOf(config.clickhouse) })
  const plan = await planReplay(admin, clickhouse, routes, parseReplayFrom(values.from ?? ''))
  for (const p of plan.partitions) process.stdout.write(`${p.topic}[${p.partition}]  offsets ${p.from}–${p.end - 1n} → ${p.table}\n`)
  process.stdout.write(`${plan.records} records to read again\n`)
  for (const warning of plan.warnings) process.stderr.write(`warning: ${warning}\n`)
  if (values['dry-run'] === true || plan.records === 0n) {
    await admin.disconnect()
    await clickhouse.close()
    process.exit(0)
  }
  await applyReplay(admin, config.groupId, plan)
  const sink = createSink({ config, logger, metrics: createRegistry('replay'), clickhouse })
  await sink.start()
  for (;;) {
    const { done, total } = await replayProgress(admin, config.groupId, plan, (topic, partition) => sink.lag(topic, partition))
    process.stdout.write(`replayed ${done} of ${total} (${total === 0n ? 100 : Number((done * 100n) / total)}%)\n`)
    if (done >= total) break
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  await sink.stop()
  await admin.disconnect()
  await clickhouse.close()
  process.stdout.write('replay done\n')
} catch (error) {
  fail(error)
}
