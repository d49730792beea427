#!/usr/bin/env node
/**
 * Replay: `node services/sink/src/replay-main.ts --from earliest` (or `npm run replay -- --from …`).
 * Moves the sink group back and runs a sink until it has read the replayed range again.
 */
import { parseArgs } from 'node:util'
import { isTrendsError } from '@trends/core'
import { clusterOf, createClickHouse, migrate, MIGRATIONS_DIR } from '@trends/clickhouse'
import { createKafka, topicsFor } from '@trends/kafka'
import { configOrExit, createLogger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { createSink } from './app.ts'
import { loadSinkConfig } from './config.ts'
import { routesFor } from './routes.ts'
import { applyReplay, parseReplayFrom, planReplay, replayProgress } from './replay.ts'

const HELP = `Usage: node services/sink/src/replay-main.ts --from <earliest|offset|time> [--topic <name>]... [--stage sink|normalizer] [--dry-run]

--stage sink (the default): reads topics again into ClickHouse through the sink's consumer group
(SINK_GROUP_ID); its sinks must be stopped. Batches are formed again as the batch ledger recorded
them, so ClickHouse drops what it already holds (within each table's insert-deduplication window;
the plan warns beyond it).

--stage normalizer: moves the normalizer's group (NORMALIZER_GROUP_ID, tiktok-normalizer) back on
the raw topics, to reprocess them after a fix; its normalizers must be stopped. Start them again
afterwards; with NORMALIZER_DEDUP=off they publish again what the cleaned topic already has (and
the sink's tables keep the newest row per item and snapshot), otherwise they drop it.

  --from      earliest, an offset (in every partition) or an ISO time such as 2026-11-20T06:00Z
  --topic     sink: cleaned, fetch-log or dead-letters (repeatable; default: all three)
  --stage     sink or normalizer
  --dry-run   print the plan and its warnings, change nothing

Environment: as the sink (node services/sink/src/main.ts --help).
`

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    topic: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    stage: { type: 'string', default: 'sink' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
const config = configOrExit('replay', HELP, () => {
  if (values.from === undefined) throw new Error('--from is required (earliest, an offset or a time)')
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

const logger = createLogger({ service: 'replay', level: config.logLevel })
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
        `group ${groupId} moved back: start the normalizers (NORMALIZER_DEDUP=off to publish again what the cleaned topic has)\n`,
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
    const { done, total } = await replayProgress(admin, config.groupId, plan)
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
