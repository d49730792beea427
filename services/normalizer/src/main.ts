#!/usr/bin/env node
/**
 * Normalizer entry point: `node services/normalizer/src/main.ts`. Configured only by the
 * environment (see --help). Run one or more; they share the raw topics' partitions as a group.
 */
import { hostname } from 'node:os'
import { claimGroupSlot, type InstanceSlot } from '@trends/core'
import { configOrExit, createLogger, runService } from '@trends/logger'
import { exitWhenConsumerLost, memberFile, pipelineChecks } from '@trends/kafka'
import { createRegistry, withHealth } from '@trends/metrics'
import { createNormalizer } from './app.ts'
import { loadNormalizerConfig } from './config.ts'

const HELP = `Usage: node services/normalizer/src/main.ts

Reads <prefix>.raw.<family>, writes <prefix>.trends.cleaned and <prefix>.dead-letters, exactly once.

Environment:
  KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD
  SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME/PASSWORD, SCHEMA_REGISTRY_TIMEOUT (10s)
  TOPIC_PREFIX (tiktok), NORMALIZER_GROUP_ID (tiktok-normalizer),
  NORMALIZER_TRANSACTIONAL_ID (<group>.<hostname>.<n>, n the lowest free among this host's instances,
    taken back on restart; set it to give each instance its own, stable across restarts),
  TASK_PARTITIONS (6), RAW_PARTITIONS (3), CLEANED_PARTITIONS (6), NORMALIZER_DEDUP (true; false to publish again what the cleaned topic has, for reprocessing),
  DEDUP_TTL (3d), DEDUP_MAX_KEYS_PER_SHARD (500000),
  NORMALIZER_MAX_BYTES_PER_PARTITION (1MiB), NORMALIZER_PARTITIONS_CONCURRENTLY (3), LOG_LEVEL (info)
  CONSUMER_STALL_AFTER (2m), CONSUMER_RESTART_LIMIT (5), CONSUMER_RESTART_WINDOW (10m)
  METRICS_HOST (127.0.0.1), METRICS_PORT (9465): /metrics, /healthz, /readyz
`

// Instances on one host count themselves 0, 1, 2… in a folder they share; a restarted one takes its
// number back, so its transactional id fences the dead predecessor's open transaction at once, and
// it removes the predecessor's member from the group instead of waiting out its session.
let slot: InstanceSlot | undefined
const instanceId = (groupId: string) => `${groupId}.${hostname()}.${(slot = claimGroupSlot(groupId)).slot}`
const config = configOrExit('normalizer', HELP, () => loadNormalizerConfig(process.env, instanceId))
const members = memberFile((slot ?? claimGroupSlot(config.groupId)).file('member'))

const logger = createLogger({ service: 'normalizer', level: config.logLevel })
const metrics = createRegistry('normalizer', { defaultMetrics: true })
const readiness = pipelineChecks(config.kafka, config.registry, logger)
const stop = () => normalizer.stop().finally(() => readiness.close())
// A consumer that cannot be restarted stops the service like this and exits 75 for its supervisor.
const normalizer = createNormalizer({ config, logger, metrics, members, onConsumerLost: exitWhenConsumerLost(stop, logger) })

// A graceful stop lets the batch in hand finish its transaction, then disconnects; after a forced
// exit, Kafka aborts the open transaction.
await runService(
  withHealth(
    { start: () => normalizer.start(), stop },
    { ...config.health, registry: metrics, checks: readiness.checks, conditions: normalizer.conditions },
  ),
  logger,
)
