#!/usr/bin/env node
/**
 * Signals entry point: `node services/signals/src/main.ts`. Configured only by the environment
 * (see --help). Run one per deployment: a second one takes over and the first stops.
 */
import { configOrExit, createLogger, runService } from '@trends/logger'
import { clickhouseCheck, createClickHouse } from '@trends/clickhouse'
import { exitWhenConsumerLost, pipelineChecks } from '@trends/kafka'
import { createRegistry, withHealth } from '@trends/metrics'
import { createSignals } from './app.ts'
import { loadSignalsConfig } from './config.ts'

const HELP = `Usage: node services/signals/src/main.ts

Compares consecutive complete snapshots of every chart in ClickHouse and writes one event per change
(entered, exited, rank_jump, new_top, breakout) to <prefix>.trends.signals, exactly once.

Environment:
  KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD
  SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME/PASSWORD, SCHEMA_REGISTRY_TIMEOUT (10s)
  CLICKHOUSE_URL (unset: embedded chDB), CLICKHOUSE_PATH (.data/clickhouse), CLICKHOUSE_USER,
  CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE (default), CLICKHOUSE_CA_CERT
  TOPIC_PREFIX (tiktok), SIGNALS_TRANSACTIONAL_ID (<prefix>.signals: one per deployment),
  SIGNALS_POLL (10s), SIGNALS_LOOKBACK (7d, 1d to 14d), SIGNALS_SETTLE_TIMEOUT (30m),
  SIGNALS_RANK_JUMP (10 places), SIGNALS_PAIRS_PER_TRANSACTION (20), LOG_LEVEL (info)
  SIGNALS_WEBHOOK_URL (unset: no webhook), SIGNALS_WEBHOOK_SECRET, SIGNALS_WEBHOOK_TIMEOUT (5s),
  SIGNALS_WEBHOOK_ATTEMPTS (6), SIGNALS_WEBHOOK_RETRY_BASE (1s), SIGNALS_WEBHOOK_RETRY_MAX (1m),
  SIGNALS_WEBHOOK_GROUP_ID (<prefix>.signals-webhook)
  CONSUMER_STALL_AFTER (2m), CONSUMER_RESTART_LIMIT (5), CONSUMER_RESTART_WINDOW (10m): the webhook's consumer
  METRICS_HOST (127.0.0.1), METRICS_PORT (9467): /metrics, /healthz, /readyz
`

const config = configOrExit('signals', HELP, loadSignalsConfig)

const logger = createLogger({ service: 'signals', level: config.logLevel })
const metrics = createRegistry('signals', { defaultMetrics: true })
const clickhouse = createClickHouse(config.clickhouse, logger)
const readiness = pipelineChecks(config.kafka, config.registry, logger)
const checks = { ...readiness.checks, clickhouse: () => clickhouseCheck(clickhouse) }
const stop = () => signals.stop().finally(() => Promise.all([readiness.close(), clickhouse.close()]))
// Fenced by a newer instance: stop and exit 0, the work is in good hands.
const signals = createSignals({
  config,
  logger,
  metrics,
  clickhouse,
  onFenced: () => void stop().finally(() => process.exit(0)),
  onConsumerLost: exitWhenConsumerLost(stop, logger),
})

// A graceful stop lets the transaction in hand commit; after a forced exit, the next start aborts it.
await runService(
  withHealth({ start: () => signals.start(), stop }, { ...config.health, registry: metrics, checks, conditions: signals.conditions }),
  logger,
)
