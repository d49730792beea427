-- One row per HTTP attempt against the Creative Center (from the fetch-log topic).
CREATE TABLE IF NOT EXISTS fetch_log
(
    fetch_id       String,
    task_id        String,
    endpoint       LowCardinality(String),
    family         LowCardinality(String),
    generation     LowCardinality(String),
    page           UInt16,
    attempt        UInt16,
    outcome        LowCardinality(String),
    error_class    LowCardinality(Nullable(String)),
    http_status    Nullable(UInt16),
    latency_ms     Float64,
    items          UInt32,
    will_retry     Bool,
    request_id     Nullable(String),
    request_params Map(String, String),
    requested_at   DateTime64(3, 'UTC') CODEC(Delta, ZSTD)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(requested_at)
ORDER BY (endpoint, requested_at, fetch_id, attempt)
TTL toDateTime(requested_at) + INTERVAL 180 DAY
SETTINGS non_replicated_deduplication_window = 10000;
