-- The sink inserts with insert_deduplication_token and deduplicate_blocks_in_dependent_materialized_views,
-- so a batch inserted again (after a crash, a rebalance or a retry) adds nothing, to the views' tables
-- either. Each table that receives inserts needs its own deduplication window for that.
ALTER TABLE trend_curve_points MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE trend_latest MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE trend_item_stats MODIFY SETTING non_replicated_deduplication_window = 10000;

-- Dead letters arrive through this intake, with the original bytes in base64 (JSON carries text, not
-- bytes); the view decodes them into dead_letters.original byte for byte.
CREATE TABLE IF NOT EXISTS dead_letters_intake
(
    stage            String,
    error_class      String,
    message          String,
    source_topic     Nullable(String),
    source_partition Nullable(Int32),
    source_offset    Nullable(String),
    schema_id        Nullable(Int32),
    original_base64  String,
    context          Map(String, String),
    failed_at        DateTime64(3, 'UTC')
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS dead_letters_intake_mv TO dead_letters AS
SELECT stage, error_class, message, source_topic, source_partition, source_offset, schema_id,
       base64Decode(original_base64) AS original, context, failed_at
FROM dead_letters_intake;

-- The sink's batch ledger: the offset range of every batch, written before the batch is inserted.
-- A batch is only ever inserted again with the same range, so with the same deduplication token:
-- after a crash or a rebalance, and when a topic is replayed (within the deduplication window).
CREATE TABLE IF NOT EXISTS sink_batches
(
    target     LowCardinality(String),
    topic      LowCardinality(String),
    partition  UInt16,
    first      UInt64,
    last       UInt64,
    rows       UInt32,
    planned_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (target, topic, partition, first)
TTL toDateTime(planned_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;
