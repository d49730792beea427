import { counter, gauge, histogram, PIPELINE_METRICS, type Counter, type Gauge, type Histogram, type Registry } from '@trends/metrics'

/** The sink's metrics (README, Metrics); every label comes from a closed list. */
export interface SinkMetrics {
  recordsIn: Counter<'topic'>
  rowsInserted: Counter<'table'>
  inserts: Counter<'table' | 'outcome'>
  insertSeconds: Histogram<'table'>
  batchRows: Histogram<'table'>
  deadLettered: Counter<'table' | 'error_class'>
  clickhouseErrors: Counter<'code' | 'type'>
  clickhouseUp: Gauge<string>
  bufferedRows: Gauge<string>
  consumerLag: Gauge<'topic' | 'partition'>
  pausedPartitions: Gauge<string>
  freshness: Histogram<string>
  dataAge: Histogram<string>
}

export function sinkMetrics(metrics: Registry): SinkMetrics {
  return {
    recordsIn: counter(metrics, PIPELINE_METRICS.sinkRecordsIn, 'Records consumed, by topic', ['topic']),
    rowsInserted: counter(metrics, PIPELINE_METRICS.sinkRowsInserted, 'Rows ClickHouse acknowledged, by table', ['table']),
    inserts: counter(metrics, 'trends_sink_inserts_total', 'Inserts, by table and outcome (ok, failed, split)', ['table', 'outcome']),
    insertSeconds: histogram(
      metrics,
      'trends_sink_insert_duration_seconds',
      'Time to insert one batch, retries included',
      ['table'],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ),
    batchRows: histogram(
      metrics,
      'trends_sink_batch_rows',
      'Rows per inserted batch',
      ['table'],
      [1, 10, 100, 1000, 10_000, 50_000, 100_000],
    ),
    deadLettered: counter(metrics, PIPELINE_METRICS.sinkDeadLetters, 'Records the sink could not store, by table and error class', [
      'table',
      'error_class',
    ]),
    clickhouseErrors: counter(
      metrics,
      'trends_sink_clickhouse_errors_total',
      'ClickHouse failures that were retried, by error code and name (ECONNREFUSED for a refused connection)',
      ['code', 'type'],
    ),
    clickhouseUp: gauge(metrics, 'trends_sink_clickhouse_up', '1 while ClickHouse takes inserts, 0 while inserts are being retried', []),
    bufferedRows: gauge(metrics, 'trends_sink_buffered_rows', 'Records gathered and not yet acknowledged by ClickHouse', []),
    consumerLag: gauge(
      metrics,
      'trends_sink_consumer_lag',
      'Records of each partition not yet taken (transaction markers do not count: a drained partition reads 0)',
      ['topic', 'partition'],
    ),
    pausedPartitions: gauge(metrics, 'trends_sink_paused_partitions', 'Partitions paused while their previous batch is retried', []),
    freshness: histogram(
      metrics,
      'trends_sink_freshness_seconds',
      'From fetch to acknowledged in ClickHouse, per observation',
      [],
      [1, 5, 15, 60, 300, 900, 3600, 21_600, 86_400],
    ),
    dataAge: histogram(
      metrics,
      'trends_sink_data_age_seconds',
      'From the end of the upstream data date to acknowledged in ClickHouse, per observation',
      [],
      [3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400],
    ),
  }
}
