import type { ClickHouseClient } from '@trends/clickhouse'
import { batchToken, type Batch, type Range } from './lane.ts'

/** Ranges loaded per partition at a time. */
export const PLAN_PAGE = 20_000

/** One partition of one target table, as the ledger and the claims key it. */
export interface PartitionKey {
  target: string
  topic: string
  partition: number
}

/** An owner's claim of a partition: its id and the server's time of the claim (nanoseconds, as text). */
export interface Claim {
  owner: string
  at: string
}

/** Rows written before claims existed read as the oldest claim. */
const NO_CLAIM = '1970-01-01 00:00:00.000000000'

const keyParams = (key: PartitionKey) => ({ target: key.target, topic: key.topic, partition: key.partition })
const KEY_WHERE = 'target = {target:String} AND topic = {topic:String} AND partition = {partition:UInt16}'

/**
 * Writes `owner`'s claim of the partition (`sink_claims`), stamped by the server's clock, and
 * returns it. An owner claims before it reads the ledger: the fence (`latestOwner`) depends on it.
 */
export async function claimPartition(client: ClickHouseClient, key: PartitionKey, owner: string): Promise<Claim> {
  await client.insert({
    table: 'sink_claims',
    format: 'JSONEachRow',
    values: [{ ...keyParams(key), owner }],
    clickhouse_settings: { async_insert: 0 },
  })
  const rows = await (
    await client.query({
      query: `SELECT toString(claimed_at) AS at FROM sink_claims WHERE ${KEY_WHERE} AND owner = {owner:String} ORDER BY claimed_at DESC LIMIT 1`,
      query_params: { ...keyParams(key), owner },
      format: 'JSONEachRow',
    })
  ).json<{ at: string }>()
  const at = rows[0]?.at
  if (at === undefined) throw new Error('the claim just written is not in sink_claims')
  return { owner, at }
}

/** The owner of the partition's latest claim (ties broken by owner id, so every reader agrees). */
export async function latestOwner(client: ClickHouseClient, key: PartitionKey): Promise<string | undefined> {
  const rows = await (
    await client.query({
      query: `SELECT argMax(owner, (claimed_at, owner)) AS owner, count() AS n FROM sink_claims WHERE ${KEY_WHERE}`,
      query_params: keyParams(key),
      format: 'JSONEachRow',
    })
  ).json<{ owner: string; n: string }>()
  return rows[0] === undefined || rows[0].n === '0' ? undefined : rows[0].owner
}

/** The partition's latest claim written by a table swap (`swap:` or `swap-done:`), if any. */
export async function latestSwapClaim(client: ClickHouseClient, key: PartitionKey): Promise<string | undefined> {
  const rows = await (
    await client.query({
      query: `SELECT argMax(owner, (claimed_at, owner)) AS latest, count() AS n FROM sink_claims
              WHERE ${KEY_WHERE} AND startsWith(owner, 'swap')`,
      query_params: keyParams(key),
      format: 'JSONEachRow',
    })
  ).json<{ latest: string; n: string }>()
  return rows[0] === undefined || rows[0].n === '0' ? undefined : rows[0].latest
}

/**
 * The sink's batch ledger (`sink_batches`): every batch's offset range, written before the batch is
 * inserted. Reading it back tells a sink where earlier batches began and ended, so it forms them
 * again identically after a crash, a rebalance or a replay.
 */
export async function recordBatch(client: ClickHouseClient, batch: Batch, rows: number, claim?: Claim): Promise<void> {
  await client.insert({
    table: 'sink_batches',
    format: 'JSONEachRow',
    values: [
      {
        target: batch.route.table,
        topic: batch.topic,
        partition: batch.partition,
        first: batch.first,
        last: batch.last,
        rows,
        claimed_at: claim?.at ?? NO_CLAIM,
      },
    ],
    clickhouse_settings: { insert_deduplication_token: `ledger:${batchToken(batch)}`, insert_deduplicate: 1, async_insert: 0 },
  })
}

interface Claimed extends Range {
  claim: string
}

/**
 * Of ranges that overlap, the one of the newest claim: an owner fenced after its ledger write leaves
 * a range no insert followed, and the owner that superseded it formed its own from the same offset.
 */
function newestClaimWins(ranges: Claimed[]): Range[] {
  const kept: Claimed[] = []
  for (const range of ranges) {
    let wins = true
    while (kept.length > 0 && kept.at(-1)!.last >= range.first) {
      if (kept.at(-1)!.claim >= range.claim) {
        wins = false
        break
      }
      kept.pop()
    }
    if (wins) kept.push(range)
  }
  return kept.map(({ first, last }) => ({ first, last }))
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
  // Rows of one first offset are resolved whole (the newest claim's end), so a filter on `last`
  // picks the first offsets and the grouping sees all their rows.
  const rows = await (
    await client.query({
      query: `SELECT first, argMax(last, claimed_at) AS range_last, toString(max(claimed_at)) AS claim FROM sink_batches FINAL
              WHERE ${KEY_WHERE}
                AND first IN (SELECT first FROM sink_batches WHERE ${KEY_WHERE} AND last >= {from:UInt64})
              GROUP BY first HAVING range_last >= {from:UInt64}
              ORDER BY first LIMIT {limit:UInt32}`,
      query_params: { target, topic, partition, from: from.toString(), limit },
      format: 'JSONEachRow',
    })
  ).json<{ first: string; range_last: string; claim: string }>()
  const ranges = rows.map((row) => ({ first: BigInt(row.first), last: BigInt(row.range_last), claim: row.claim }))
  return { plan: newestClaimWins(ranges), truncated: rows.length === limit }
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
