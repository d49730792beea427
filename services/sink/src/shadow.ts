/**
 * What makes a sink a shadow replay's sink: its routes, what it leaves out, its store, its state.
 *
 * A shadow replay builds every table beside the live ones (in `<database>_shadow`), through a
 * consumer group of its own. Its sink reads the live topics with batches that follow the live
 * sink's ledger — the same ranges, so the same deduplication tokens — and never forms one past the
 * live ledger's end; at a swap the live sink then reads on exactly where the shadow's tables end.
 * With `--stage normalizer` a shadow normalizer (the new code) reads the raw topics again into
 * topics of its own; the shadow sink takes from them what the raw topics held when the replay
 * began (offsets below `rawEnds`) and from the live cleaned topic everything after.
 */
import type { ClickHouseClient } from '@trends/clickhouse'
import { identifier, REPLAY_STATE_TABLE } from '@trends/clickhouse'
import { topicsFor, type Topics } from '@trends/kafka'
import { loadPlan } from './ledger.ts'
import type { PartitionStore } from './ports.ts'
import { routesFor, type Route, type Row } from './routes.ts'
import { clickhouseStore } from './store.ts'

export type ShadowStage = 'normalizer' | 'sink'
export type ShadowStatus = 'building' | 'ready' | 'swapped' | 'rolled-back'

export interface ShadowState {
  id: string
  stage: ShadowStage
  /** --from as given. */
  from: string
  startedAt: number
  /** The raw topics' end offsets when the replay began (`topic:partition` → offset): reprocessed below them. */
  rawEnds: Record<string, string>
  /** The shadow normalizer's first offsets (`topic:partition` → offset), for progress. */
  rawStarts: Record<string, string>
  status: ShadowStatus
  /** The last swap or rollback: its id and when. */
  lastSwap?: { id: string; at: number; pausedMs: number }
}

/** The topics a shadow normalizer writes (NORMALIZER_OUTPUT_PREFIX of the one a replay runs). */
export const shadowTopics = (prefix: string): Topics => topicsFor(`${prefix}.shadow`)
export const shadowSinkGroup = (sinkGroup: string): string => `${sinkGroup}.shadow`
export const shadowNormalizerGroup = (normalizerGroup: string): string => `${normalizerGroup}.shadow`

/**
 * A shadow sink's routes: the live topics, following the live ledger; with the normalizer stage
 * also the shadow normalizer's cleaned topic and dead letters, into the same tables, on a ledger of
 * their own. A rollback brings the previous tables up to date from the live topics alone.
 */
export function shadowRoutes(live: Topics, shadow: Topics | undefined): Route[] {
  const routes: Route[] = routesFor(live).map((route) => ({ ...route, follow: true }))
  if (shadow !== undefined)
    routes.push(...routesFor(shadow).filter((route) => route.name === 'observations' || route.name === 'dead-letters'))
  return routes
}

/**
 * What a shadow sink leaves out: of what the raw topics held when the replay began, the live
 * topics' version (the shadow normalizer's comes in its place); after it, the shadow normalizer's
 * (the live cleaned topic has it, and the live tables' batches with it). Only the normalizer's own
 * dead letters are decided so; every other record is kept.
 */
export function shadowLeaveOut(rawEnds: Readonly<Record<string, string>> | undefined): (route: Route, row: Row) => boolean {
  if (rawEnds === undefined) return () => false
  const reprocessed = (topic: unknown, partition: unknown, offset: unknown): boolean => {
    const end = rawEnds[`${String(topic)}:${String(partition)}`]
    return end !== undefined && /^\d+$/.test(String(offset)) && BigInt(String(offset)) < BigInt(end)
  }
  return (route, row) => {
    if (route.name === 'observations') {
      const before = reprocessed(row['source_topic'], row['source_partition'], row['source_offset'])
      return route.follow === true ? before : !before
    }
    if (route.name === 'dead-letters' && row['stage'] === 'normalizer') {
      const before = reprocessed(row['source_topic'], row['source_partition'], row['source_offset'])
      return route.follow === true ? before : !before
    }
    return false
  }
}

/**
 * A shadow sink's store: claims, ledger and inserts in the shadow database; the ranges of a route
 * that follows read from the live ledger. A table swap's claims are for the live sink: the shadow
 * sink never waits on them.
 */
export function shadowStore(live: ClickHouseClient, routes: readonly Route[]): (shadow: ClickHouseClient) => PartitionStore {
  const following = new Set(routes.filter((route) => route.follow === true).map((route) => route.topic))
  return (shadow) => {
    const own = clickhouseStore(shadow)
    return {
      ...own,
      latestSwap: async () => undefined,
      loadPlan: (key, from) =>
        following.has(key.topic) ? loadPlan(live, key.target, key.topic, key.partition, from) : own.loadPlan(key, from),
    }
  }
}

const stateTable = (database: string) => `${identifier(database)}.${identifier(REPLAY_STATE_TABLE)}`

/** The replay's state, newest first written wins; undefined when the shadow database has none. */
export async function readShadowState(client: ClickHouseClient, database: string): Promise<ShadowState | undefined> {
  const found = await (
    await client.query({
      query: 'SELECT count() AS n FROM system.tables WHERE database = {database:String} AND name = {table:String}',
      query_params: { database, table: REPLAY_STATE_TABLE },
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>()
  if (Number(found[0]?.n ?? 0) === 0) return undefined
  const rows = await (
    await client.query({ query: `SELECT state FROM ${stateTable(database)} ORDER BY written_at DESC LIMIT 1`, format: 'JSONEachRow' })
  ).json<{ state: string }>()
  return rows[0] === undefined ? undefined : (JSON.parse(rows[0].state) as ShadowState)
}

export async function writeShadowState(client: ClickHouseClient, database: string, state: ShadowState): Promise<void> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${stateTable(database)} (state String, written_at DateTime64(6, 'UTC') DEFAULT now64(6))
            ENGINE = MergeTree ORDER BY written_at`,
  })
  await client.insert({
    table: `${database}.${REPLAY_STATE_TABLE}`,
    values: [{ state: JSON.stringify(state) }],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
}
