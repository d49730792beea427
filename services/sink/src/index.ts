export { createSink, type Sink, type SinkDeps } from './app.ts'
export { loadSinkConfig, type SinkConfig } from './config.ts'
export { routesFor, dateText, timeText, RowError, type Route, type Row } from './routes.ts'
export { batchToken, Lane, type Batch, type Entry, type Limits, type Range } from './lane.ts'
export { loadPlan, recordBatch, batchStartAt } from './ledger.ts'
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
