-- Trend signals (from the signals topic): one row per change of a chart between two consecutive
-- complete snapshots. The sink writes each record once, so rows are counted without FINAL.
CREATE TABLE IF NOT EXISTS trend_signals
(
    event_id      String,
    type          LowCardinality(String),
    chart_id      LowCardinality(String),
    kind          LowCardinality(String),
    country       LowCardinality(String) DEFAULT '',
    period        UInt16 DEFAULT 0,
    industry      LowCardinality(String) DEFAULT '',
    endpoint      LowCardinality(String),
    previous_date Date,
    data_date     Date,
    natural_key   String,
    item_id       String,
    display_name  String,
    previous_rank Nullable(UInt32),
    rank          Nullable(UInt32),
    measure       LowCardinality(String),
    value         Float64,
    threshold     Nullable(Float64),
    detected_at   DateTime64(3, 'UTC') CODEC(Delta, ZSTD)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(data_date)
ORDER BY (chart_id, data_date, type, natural_key)
SETTINGS non_replicated_deduplication_window = 10000;

-- How full each complete snapshot is: the distinct items stored for it against the items its
-- complete fetch brought (the sum of the fetch's pages, each page's last successful attempt), and
-- when that fetch ended. The signals stage compares a snapshot once stored >= fetched: before that,
-- its items are still on their way through the normalizer and the sink.
CREATE VIEW IF NOT EXISTS chart_snapshot_fill AS
SELECT
    chart_id,
    data_date,
    any(stored) AS stored,
    max(fetched) AS fetched,
    max(ended_at) AS ended_at
FROM
(
    SELECT chart_id, data_date, items AS stored, task_id
    FROM
    (
        SELECT chart_id, data_date, uniqExact(natural_key) AS items, groupUniqArray(task_id) AS task_ids
        FROM trend_observations
        WHERE chart_id != ''
        GROUP BY chart_id, data_date
    )
    ARRAY JOIN task_ids AS task_id
) AS observed
INNER JOIN
(
    SELECT task_id, sum(page_items) AS fetched, max(page_at) AS ended_at
    FROM
    (
        SELECT task_id, page, argMax(items, requested_at) AS page_items, max(requested_at) AS page_at
        FROM fetch_log
        WHERE outcome = 'ok' AND page > 0
        GROUP BY task_id, page
    )
    WHERE task_id IN (SELECT task_id FROM fetch_log WHERE snapshot = 'complete')
    GROUP BY task_id
) AS fetches USING (task_id)
GROUP BY chart_id, data_date;
