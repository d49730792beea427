export { createSignals, type Signals, type SignalRecord } from './app.ts'
export { loadSignalsConfig, type SignalsConfig } from './config.ts'
export {
  DEFAULT_THRESHOLDS,
  SIGNAL_TYPES,
  describeSignal,
  eventId,
  pairEventsQuery,
  readyPairsQuery,
  pairKey,
  type Pair,
  type ReadyPair,
  type Thresholds,
} from './derive.ts'
