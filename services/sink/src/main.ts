#!/usr/bin/env node
/**
 * Sink entry point: `node services/sink/src/main.ts`. Configured only by the environment (see
 * --help). Run one or more; they share the partitions as a consumer group.
 */
import { claimGroupSlot } from '@trends/core'
import { configOrExit, createLogger, runService } from '@trends/logger'
import { clickhouseCheck, createClickHouse } from '@trends/clickhouse'
import { exitWhenConsumerLost, memberFile, pipelineChecks } from '@trends/kafka'
import { createRegistry, withHealth } from '@trends/metrics'
import { createSink } from './app.ts'
import { loadSinkConfig } from './config.ts'

const HELP = `Usage: node services/sink/src/main.ts

Reads <prefix>.trends.cleaned, <prefix>.fetch-log, <prefix>.dead-letters and <prefix>.trends.signals
(read committed) and inserts them into ClickHouse (trend_observations, fetch_log, dead_letters,
trend_signals), exactly once.

Environment:
  KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD
  SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME/PASSWORD, SCHEMA_REGISTRY_TIMEOUT (10s)
  CLICKHOUSE_URL (unset: embedded chDB), CLICKHOUSE_PATH (.data/clickhouse), CLICKHOUSE_USER,
  CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE (default), CLICKHOUSE_CA_CERT
  TOPIC_PREFIX (tiktok), SINK_GROUP_ID (tiktok-sink), TASK_PARTITIONS (6), RAW_PARTITIONS (3), CLEANED_PARTITIONS (6),
  SINK_BATCH_ROWS (50000), SINK_BATCH_BYTES (32MiB), SINK_BATCH_WAIT (1s), SINK_FETCH_BYTES_PER_PARTITION (4MiB),
  SINK_RETRY_BASE (200ms), SINK_RETRY_MAX (30s), SINK_DRAIN_TIMEOUT (8s), SINK_SESSION_TIMEOUT (30s),
  SINK_MIGRATE (true: apply migrations on start), LOG_LEVEL (info)
  CONSUMER_STALL_AFTER (2m), CONSUMER_RESTART_LIMIT (5), CONSUMER_RESTART_WINDOW (10m)
  METRICS_HOST (127.0.0.1), METRICS_PORT (9466): /metrics, /healthz, /readyz
`

const config = configOrExit('sink', HELP, loadSinkConfig)

const logger = createLogger({ service: 'sink', level: config.logLevel })
const metrics = createRegistry('sink', { defaultMetrics: true })
const clickhouse = createClickHouse(config.clickhouse, logger)
const readiness = pipelineChecks(config.kafka, config.registry, logger)
const checks = { ...readiness.checks, clickhouse: () => clickhouseCheck(clickhouse) }
const stop = () => sink.stop().finally(() => Promise.all([readiness.close(), clickhouse.close()]))
// A consumer that cannot be restarted stops the service like this and exits 75 for its supervisor.
// A restarted sink takes its instance slot back and removes its dead predecessor from the group at once.
const members = memberFile(claimGroupSlot(config.groupId).file('member'))
const sink = createSink({ config, logger, metrics, clickhouse, members, onConsumerLost: exitWhenConsumerLost(stop, logger) })

// A graceful stop lets open batches land and commits past them; after a forced exit, the next run
// forms the unfinished batch again from its committed range and ClickHouse drops what it already has.
await runService(
  withHealth({ start: () => sink.start(), stop }, { ...config.health, registry: metrics, checks, conditions: sink.conditions }),
  logger,
)
