import type { ClickHouseClient } from '@trends/clickhouse'
import { batchToken, type Batch, type Range } from './lane.ts'

/** Ranges loaded per partition at a time. */
export const PLAN_PAGE = 20_000

/**
 * The sink's batch ledger (`sink_batches`): every batch's offset range, written before the batch is
 * inserted. Reading it back tells a sink where earlier batches began and ended, so it forms them
 * again identically after a crash, a rebalance or a replay.
 */
export async function recordBatch(client: ClickHouseClient, batch: Batch, rows: number): Promise<void> {
  await client.insert({
    table: 'sink_batches',
    format: 'JSONEachRow',
    values: [{ target: batch.route.table, topic: batch.topic, partition: batch.partition, first: batch.first, last: batch.last, rows }],
    clickhouse_settings: { insert_deduplication_token: `ledger:${batchToken(batch)}`, insert_deduplicate: 1, async_insert: 0 },
  })
}

/** The ledger's ranges of a partition that end at or after `from`, in order (at most `limit`). */
export async function loadPlan(
  client: ClickHouseClient,
  target: string,
  topic: string,
  partition: number,
  from: bigint,
  limit = PLAN_PAGE,
): Promise<{ plan: Range[]; truncated: boolean }> {
  const rows = await (
    await client.query({
      query: `SELECT first, last FROM sink_batches FINAL
              WHERE target = {target:String} AND topic = {topic:String} AND partition = {partition:UInt16} AND last >= {from:UInt64}
              ORDER BY first LIMIT {limit:UInt32}`,
      query_params: { target, topic, partition, from: from.toString(), limit },
      format: 'JSONEachRow',
    })
  ).json<{ first: string; last: string }>()
  return { plan: rows.map((row) => ({ first: BigInt(row.first), last: BigInt(row.last) })), truncated: rows.length === limit }
}

/** The first offset of the ledger range that holds `offset`, or `offset` itself (a replay starts at a batch boundary). */
export async function batchStartAt(
  client: ClickHouseClient,
  target: string,
  topic: string,
  partition: number,
  offset: bigint,
): Promise<bigint> {
  const { plan } = await loadPlan(client, target, topic, partition, offset, 1)
  const range = plan[0]
  return range !== undefined && range.first <= offset ? range.first : offset
}
