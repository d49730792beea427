-- One row per item per upstream snapshot (natural key + data date). Several polls of the same
-- snapshot collapse to the latest fetch in merges (ReplacingMergeTree); query with FINAL or argMax
-- for exact results before a merge.
CREATE TABLE IF NOT EXISTS trend_observations
(
    kind             LowCardinality(String),
    item_id          String,
    natural_key      String,
    display_name     String,
    normalized_name  String,
    country          LowCardinality(String) DEFAULT '',
    period           UInt16 DEFAULT 0,
    industry         LowCardinality(String) DEFAULT '',
    rank             Nullable(UInt32),
    rank_is_position Bool DEFAULT false,
    rank_change      Nullable(Int32),
    rank_diff_type   Nullable(Int16),
    posts            Nullable(UInt64),
    views            Nullable(UInt64),
    likes            Nullable(UInt64),
    followers        Nullable(UInt64),
    curve            Array(Tuple(at DateTime64(3, 'UTC'), value Float64)) CODEC(ZSTD(3)),
    data_date        Date,
    attributes       Map(String, String) CODEC(ZSTD(3)),
    endpoint         LowCardinality(String),
    generation       LowCardinality(String),
    fetched_at       DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    observed_at      DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    fetch_id         String,
    task_id          String,
    source_topic     LowCardinality(String),
    source_partition UInt16,
    source_offset    UInt64,
    source_schema_id UInt32,
    inserted_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(fetched_at)
PARTITION BY toYYYYMM(data_date)
ORDER BY (kind, country, period, industry, data_date, natural_key)
SETTINGS non_replicated_deduplication_window = 10000;
