import type { ClickHouseClient } from '@trends/clickhouse'
import { insertSplitting } from './insert.ts'
import { batchToken } from './lane.ts'
import { claimPartition, latestOwner, latestSwapClaim, loadPlan, recordBatch } from './ledger.ts'
import type { PartitionStore } from './ports.ts'

/** The core's store on a ClickHouse client: claims and ledger in `sink_claims`/`sink_batches`, rows split down to refused ones. */
export function clickhouseStore(client: ClickHouseClient, onSplit: (table: string) => void = () => undefined): PartitionStore {
  return {
    claim: (key, owner) => claimPartition(client, key, owner),
    latestOwner: (key) => latestOwner(client, key),
    latestSwap: (key) => latestSwapClaim(client, key),
    loadPlan: (key, from) => loadPlan(client, key.target, key.topic, key.partition, from),
    record: (batch, rows, claim) => recordBatch(client, batch, rows, claim),
    insert: (batch, rows) =>
      insertSplitting(client, { table: batch.route.table, token: batchToken(batch) }, rows, () => onSplit(batch.route.table)),
  }
}
