-- What a stage could not handle, with why (from the dead-letter topic). The original bytes are kept.
CREATE TABLE IF NOT EXISTS dead_letters
(
    stage            LowCardinality(String),
    error_class      LowCardinality(String),
    message          String,
    source_topic     Nullable(String),
    source_partition Nullable(Int32),
    source_offset    Nullable(String),
    schema_id        Nullable(Int32),
    original         String CODEC(ZSTD(3)),
    context          Map(String, String),
    failed_at        DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (stage, error_class, failed_at)
SETTINGS non_replicated_deduplication_window = 10000;
