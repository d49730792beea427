#!/usr/bin/env node
/**
 * Producer entry point: `node services/producer/src/main.ts [scheduler|worker|all]`.
 * Configured only by the environment (see --help). Run one scheduler and as many workers as you
 * like; workers share the tasks through their consumer group.
 */
import { claimGroupSlot } from '@trends/core'
import { configOrExit, createLogger, runService } from '@trends/logger'
import { exitWhenConsumerLost, memberFile, pipelineChecks } from '@trends/kafka'
import { createRegistry, withHealth } from '@trends/metrics'
import { createApp, ROLES, type Role } from './app.ts'
import { loadProducerConfig } from './config.ts'

const HELP = `Usage: node services/producer/src/main.ts [scheduler|worker|all]

  scheduler  turns the poll matrix into fetch tasks on <prefix>.tasks, one per chart per time slot
  worker     takes tasks (consumer group WORKER_GROUP_ID), fetches, publishes <prefix>.raw.<family>
  all        both in one process (default)

Environment:
  KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD
  SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME/PASSWORD, SCHEMA_REGISTRY_TIMEOUT (10s)
  CC_BASE_URL (https://ads.tiktok.com), CC_RATE_PER_SECOND (1), CC_BURST (1), CC_COOKIE or CC_COOKIE_FILE,
  CC_WEB_ID, CC_MAX_ATTEMPTS (5), CC_RETRY_BASE (500ms), CC_RETRY_MAX (30s), CC_RETRY_BUDGET (2m),
  CC_CONNECT_TIMEOUT (10s), CC_HEADERS_TIMEOUT (30s), CC_BODY_TIMEOUT (30s), CC_ATTEMPT_TIMEOUT (1m), CC_MAX_RESPONSE_BYTES (8MiB), CC_CONNECTIONS, CC_USER_AGENT
  POLL_MATRIX_FILE (services/producer/poll.json) or POLL_MATRIX (inline JSON), POLL_DEFAULT_CADENCE (1h), POLL_CADENCE (every chart's, over the matrix),
  POLL_DEFAULT_MAX_PAGES (5), SCHEDULER_TICK (5s), TOPIC_PREFIX (tiktok), TASK_PARTITIONS (6),
  RAW_PARTITIONS (3), CLEANED_PARTITIONS (6), WORKER_GROUP_ID (tiktok-producer-workers), WORKER_SESSION_TIMEOUT (30s), LOG_LEVEL (info)
  CONSUMER_STALL_AFTER (2m), CONSUMER_RESTART_LIMIT (5), CONSUMER_RESTART_WINDOW (10m)
  METRICS_HOST (127.0.0.1), METRICS_PORT (9464): /metrics, /healthz, /readyz
`

const arg = process.argv[2] ?? 'all'
const config = configOrExit('producer', HELP, () => {
  if (!ROLES.includes(arg as Role)) throw new Error(`unknown role "${arg}"; use one of ${ROLES.join(', ')}`)
  return loadProducerConfig()
})

const logger = createLogger({ service: `producer-${arg}`, level: config.logLevel })
const metrics = createRegistry('producer', { defaultMetrics: true })
const readiness = pipelineChecks(config.kafka, config.registry, logger)
const stop = () => app.stop().finally(() => readiness.close())
// A worker whose tasks consumer cannot be restarted stops like this and exits 75 for its supervisor.
// A restarted worker takes its slot back and removes its dead predecessor from the group at once.
const members = arg === 'scheduler' ? undefined : memberFile(claimGroupSlot(config.workerGroupId).file('member'))
const app = createApp({ config, role: arg as Role, logger, metrics, members, onConsumerLost: exitWhenConsumerLost(stop, logger) })

// A graceful stop aborts fetches in flight, leaves unfinished tasks uncommitted for another worker
// and disconnects.
await runService(
  withHealth(
    { start: () => app.start(), stop },
    { ...config.health, registry: metrics, checks: readiness.checks, conditions: app.conditions },
  ),
  logger,
)
