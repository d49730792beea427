/**
 * What the shadow-replay commands share (shadow-replay.ts builds and drops a shadow, shadow-swap.ts
 * swaps it in and out): the context they run in, the refusals, and the shadow sink they start.
 */
import { TrendsError } from '@trends/core'
import { appliedMigrations, identifier, schemaDifference, type ClickHouseClient } from '@trends/clickhouse'
import { retrying, topicsFor, type Admin, type Kafka, type Topics } from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { createSink, type Sink } from './app.ts'
import type { SinkConfig } from './config.ts'
import { committed, existingTopics, groupState, partitionKey as key } from './group-offsets.ts'
import { loadPlan, type PartitionKey } from './ledger.ts'
import { routesFor, type Route } from './routes.ts'
import { shadowLeaveOut, shadowRoutes, shadowSinkGroup, shadowStore, shadowTopics, type ShadowState } from './shadow.ts'

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

export const refuse = (code: ConstructorParameters<typeof TrendsError>[0], message: string) => new TrendsError(code, message)

export async function requireIdle(admin: Admin, groupIds: string[]): Promise<void> {
  for (const groupId of groupIds) {
    const state = await groupState(admin, groupId)
    if (state !== 'Empty' && state !== 'Dead')
      throw refuse('REPLAY_RUNNING', `a shadow replay is running (consumer group ${groupId} is ${state}): wait for it, or stop it first`)
  }
}

/** Every partition the live sink loads, as the ledger and the claims key it. */
export async function liveKeys(ctx: ShadowContext, topics: Topics): Promise<PartitionKey[]> {
  const keys: PartitionKey[] = []
  for (const route of routesFor(topics)) {
    if ((await existingTopics(ctx.admin, [route.topic])).length === 0) continue
    for (const p of await retrying(() => ctx.admin.fetchTopicOffsets(route.topic)))
      keys.push({ target: route.table, topic: route.topic, partition: p.partition })
  }
  return keys
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
export function startShadowSink(ctx: ShadowContext, state: ShadowState | undefined): { sink: Sink; routes: Route[] } {
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
export async function requireSameSchema(ctx: ShadowContext): Promise<void> {
  const problems = schemaDifference(
    await appliedMigrations(ctx.live, ctx.liveDatabase),
    await appliedMigrations(ctx.live, ctx.shadowDatabase),
  )
  if (problems.length > 0)
    throw refuse('REPLAY_SCHEMA_MISMATCH', `the shadow tables have another schema than the live ones: ${problems.join('; ')}`)
}

export async function countRows(client: ClickHouseClient, database: string, table: string): Promise<bigint> {
  const rows = await (
    await client.query({ query: `SELECT count() AS n FROM ${identifier(database)}.${identifier(table)}`, format: 'JSONEachRow' })
  ).json<{ n: string }>()
  return BigInt(rows[0]?.n ?? 0)
}

/**
 * How far the shadow sink's group is behind the live ledger, per followed partition: 0 when the
 * live ledger has no range from its committed offset on (then the shadow holds all the live tables
 * hold or will hold of that partition).
 */
export async function behindLive(
  ctx: ShadowContext,
  keys: PartitionKey[],
  groupId: string,
): Promise<{ records: bigint; partitions: number }> {
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
