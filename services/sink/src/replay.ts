import { TrendsError } from '@trends/core'
import type { ClickHouseClient } from '@trends/clickhouse'
import { retrying, type Admin } from '@trends/kafka'
import { batchStartAt } from './ledger.ts'
import type { Route } from './routes.ts'

/** Where a replay starts: the beginning of each partition, an offset in every partition, or a time. */
export type ReplayFrom = { kind: 'earliest' } | { kind: 'offset'; offset: bigint } | { kind: 'time'; ms: number }

/** `earliest`, an offset (digits) or a time (ISO 8601, e.g. 2026-11-20 or 2026-11-20T06:00Z). */
export function parseReplayFrom(text: string): ReplayFrom {
  if (text === 'earliest') return { kind: 'earliest' }
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) }
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(ms))
    throw new TrendsError('REPLAY_INVALID_START', `--from: earliest, an offset or an ISO time (got ${JSON.stringify(text)})`)
  return { kind: 'time', ms }
}

export interface PartitionReplay {
  topic: string
  table: string
  partition: number
  /** The first offset read again (moved back to the start of the ledger batch that holds it). */
  from: bigint
  /** The end of the partition when the replay was planned: the replay is done when it is committed. */
  end: bigint
}

export interface ReplayPlan {
  partitions: PartitionReplay[]
  /** Records to read again, over all partitions. */
  records: bigint
  warnings: string[]
}

/** The table's insert-deduplication window (blocks), from its settings; 0 when it has none. */
async function deduplicationWindow(client: ClickHouseClient, table: string): Promise<number> {
  const rows = await (
    await client.query({
      query: 'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
      query_params: { table },
      format: 'JSONEachRow',
    })
  ).json<{ engine_full: string }>()
  // One node: non_replicated_…; a cluster (Replicated tables): replicated_….
  return Number(/(?:non_)?replicated_deduplication_window\s*=\s*(\d+)/.exec(rows[0]?.engine_full ?? '')?.[1] ?? 0)
}

/** Inserts into `table` since the oldest ledger batch a replay of these partitions reads again. */
async function insertsSince(client: ClickHouseClient, table: string, starts: readonly PartitionReplay[]): Promise<number> {
  let oldest: string | undefined
  for (const start of starts) {
    const rows = await (
      await client.query({
        query: `SELECT toString(min(planned_at)) AS at, count() AS n FROM sink_batches FINAL
                WHERE target = {table:String} AND topic = {topic:String} AND partition = {partition:UInt16} AND last >= {from:UInt64}`,
        query_params: { table, topic: start.topic, partition: start.partition, from: start.from.toString() },
        format: 'JSONEachRow',
      })
    ).json<{ at: string; n: string }>()
    const at = rows[0]?.at
    if (at !== undefined && Number(rows[0]?.n) > 0 && (oldest === undefined || at < oldest)) oldest = at
  }
  if (oldest === undefined) return 0
  const rows = await (
    await client.query({
      query: `SELECT count() AS n FROM sink_batches WHERE target = {table:String} AND planned_at >= {oldest:DateTime64(3, 'UTC')}`,
      query_params: { table, oldest },
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>()
  return Number(rows[0]?.n ?? 0)
}

/**
 * Plans a replay of the routes' topics: for each partition, where reading starts again (at a ledger
 * batch boundary, so batches are formed again as they were) and where it ends; and warnings when
 * the range reaches further back than ClickHouse's insert-deduplication window, where repeats are
 * no longer dropped on insert and exact answers rely on ReplacingMergeTree (FINAL or argMax).
 */
export async function planReplay(
  admin: Admin,
  client: ClickHouseClient | undefined,
  routes: ReadonlyArray<Pick<Route, 'topic' | 'table'>>,
  from: ReplayFrom,
): Promise<ReplayPlan> {
  const partitions: PartitionReplay[] = []
  const warnings: string[] = []
  for (const route of routes) {
    const watermarks = await retrying(() => admin.fetchTopicOffsets(route.topic))
    const byTime =
      from.kind === 'time'
        ? new Map((await admin.fetchTopicOffsetsByTimestamp(route.topic, from.ms)).map((p) => [p.partition, p.offset]))
        : undefined
    const starts: PartitionReplay[] = []
    for (const { partition, low, high } of watermarks) {
      const lowest = BigInt(low)
      const end = BigInt(high)
      let start = from.kind === 'earliest' ? lowest : from.kind === 'offset' ? from.offset : BigInt(byTime?.get(partition) ?? high)
      if (start < lowest) start = lowest
      if (start > end) start = end
      if (start === end) continue
      starts.push({
        topic: route.topic,
        table: route.table,
        partition,
        // Into ClickHouse, a replay starts where the ledger's batch holding the start began.
        from: client === undefined ? start : await batchStartAt(client, route.table, route.topic, partition, start),
        end,
      })
    }
    partitions.push(...starts)
    if (client === undefined) continue
    const window = await deduplicationWindow(client, route.table)
    const since = starts.length === 0 ? 0 : await insertsSince(client, route.table, starts)
    if (window > 0 && since > window) {
      warnings.push(
        `${route.topic}: the replay reaches back ${since} inserts into ${route.table}, beyond its deduplication window of ${window}; ` +
          `rows older than the window are stored again, and exact answers then need FINAL or argMax (ReplacingMergeTree collapses them in merges)`,
      )
    }
  }
  const records = partitions.reduce((sum, p) => sum + (p.end - p.from), 0n)
  return { partitions, records, warnings }
}

/**
 * Moves a consumer group's committed offsets to the plan's starts. The group must have no running
 * member (its services stopped): Kafka refuses to move the offsets of an active group.
 */
export async function applyReplay(admin: Admin, groupId: string, plan: ReplayPlan): Promise<void> {
  const { groups } = await admin.describeGroups([groupId])
  const state = groups[0]?.state ?? 'Dead'
  if (state !== 'Empty' && state !== 'Dead') {
    throw new TrendsError(
      'REPLAY_GROUP_ACTIVE',
      `consumer group ${groupId} is ${state}: stop its members before a replay (or replay with another group id)`,
    )
  }
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>()
  for (const p of plan.partitions) {
    const list = byTopic.get(p.topic) ?? []
    list.push({ partition: p.partition, offset: p.from.toString() })
    byTopic.set(p.topic, list)
  }
  for (const [topic, partitions] of byTopic) await admin.setOffsets({ groupId, topic, partitions })
}

/**
 * How far a replay has come: records committed past the starts, of all to replay. `lag` (the
 * sink's view of a partition) counts a partition done when only transaction markers are left
 * before its end: a topic written in transactions ends in markers no committed offset steps over.
 */
export async function replayProgress(
  admin: Admin,
  groupId: string,
  plan: ReplayPlan,
  lag: (topic: string, partition: number) => number | undefined = () => undefined,
): Promise<{ done: bigint; total: bigint }> {
  let done = 0n
  for (const topic of new Set(plan.partitions.map((p) => p.topic))) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
    const offsets = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]))
    for (const p of plan.partitions.filter((q) => q.topic === topic)) {
      const at = offsets.get(p.partition) ?? -1n
      if (at >= p.from && lag(p.topic, p.partition) === 0) done += p.end - p.from
      else if (at > p.from) done += (at > p.end ? p.end : at) - p.from
    }
  }
  return { done, total: plan.records }
}
