export { createSink, type Sink, type SinkDeps } from './app.ts'
export { loadSinkConfig, type SinkConfig } from './config.ts'
export { routesFor, dateText, timeText, RowError, type Route, type Row } from './routes.ts'
export { batchToken, Lane, type Batch, type Entry, type Limits, type Plan, type Range } from './lane.ts'
export { loadPlan, recordBatch, batchStartAt, claimPartition, latestOwner, type Claim, type PartitionKey } from './ledger.ts'
export { Partitions, type PartitionsOptions } from './partitions.ts'
export type { PartitionConsumer, PartitionStore, PartitionEvents, StoreFailure } from './ports.ts'
export { clickhouseStore } from './store.ts'
export { insertSplitting, insertSettings, isContentError, describeFailure, type Rejected, type InsertFailure } from './insert.ts'
export {
  planReplay,
  applyReplay,
  replayProgress,
  parseReplayFrom,
  type ReplayFrom,
  type ReplayPlan,
  type PartitionReplay,
} from './replay.ts'
