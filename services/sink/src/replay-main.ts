#!/usr/bin/env node
/**
 * Replay: `node services/sink/src/replay-main.ts --from earliest` (or `npm run replay -- --from …`).
 * Moves the sink group back and runs a sink until it has read the replayed range again.
 */
import { parseArgs } from 'node:util'
import { isTrendsError } from '@trends/core'
import { createClickHouse, migrate } from '@trends/clickhouse'
import { createKafka, topicsFor } from '@trends/kafka'
import { configOrExit, createLogger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { createSink } from './app.ts'
import { loadSinkConfig } from './config.ts'
import { routesFor } from './routes.ts'
import { applyReplay, parseReplayFrom, planReplay, replayProgress } from './replay.ts'

const HELP = `Usage: node services/sink/src/replay-main.ts --from <earliest|offset|time> [--topic <name>]... [--dry-run]

Reads topics again into ClickHouse through the sink's consumer group (SINK_GROUP_ID); its sinks must
be stopped. Batches are formed again as the batch ledger recorded them, so ClickHouse drops what it
already holds (within each table's insert-deduplication window; the plan warns beyond it).

  --from      earliest, an offset (in every partition) or an ISO time such as 2026-11-20T06:00Z
  --topic     cleaned, fetch-log or dead-letters (repeatable; default: all three)
  --dry-run   print the plan and its warnings, change nothing

Environment: as the sink (node services/sink/src/main.ts --help).
`

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    topic: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
const config = configOrExit('replay', HELP, () => {
  if (values.from === undefined) throw new Error('--from is required (earliest, an offset or a time)')
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
const clickhouse = createClickHouse(config.clickhouse, logger)
try {
  await admin.connect()
  await migrate(clickhouse)
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
