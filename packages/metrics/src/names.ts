/**
 * The names of the pipeline counters that are read outside the service that counts them (`trends
 * run`'s status line reads them from each service's /metrics). One constant each, used where the
 * counter is made and where it is read, so a rename cannot leave a reader counting nothing.
 */
export const PIPELINE_METRICS = {
  scheduledTasks: 'trends_scheduler_tasks_total',
  workerTasks: 'trends_worker_tasks_total',
  workerRecords: 'trends_worker_records_total',
  workerDeadLetters: 'trends_worker_dead_letters_total',
  normalizerRecordsIn: 'trends_normalizer_records_in_total',
  normalizerRecordsOut: 'trends_normalizer_records_out_total',
  normalizerDedupHits: 'trends_normalizer_dedup_hits_total',
  normalizerDeadLetters: 'trends_normalizer_dead_letters_total',
  sinkRecordsIn: 'trends_sink_records_in_total',
  sinkRowsInserted: 'trends_sink_rows_inserted_total',
  sinkDeadLetters: 'trends_sink_dead_letters_total',
  signalsEvents: 'trends_signals_events_total',
} as const
