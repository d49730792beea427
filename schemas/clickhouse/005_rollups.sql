-- Latest rank per item (per chart), and per-item daily rollups, maintained on insert.
-- Read them with the -Merge combinators (see the README); they agree with direct queries on
-- trend_observations.
CREATE TABLE IF NOT EXISTS trend_latest
(
    kind         LowCardinality(String),
    country      LowCardinality(String),
    period       UInt16,
    industry     LowCardinality(String),
    natural_key  String,
    last_date    AggregateFunction(max, Date),
    latest       AggregateFunction(argMax, Tuple(String, Nullable(UInt32), Nullable(Int32), Nullable(Int16)), Tuple(Date, DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
ORDER BY (kind, country, period, industry, natural_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_latest_mv TO trend_latest AS
SELECT kind, country, period, industry, natural_key,
       maxState(data_date) AS last_date,
       argMaxState((display_name, rank, rank_change, rank_diff_type), (data_date, fetched_at)) AS latest
FROM trend_observations
GROUP BY kind, country, period, industry, natural_key;

CREATE TABLE IF NOT EXISTS trend_item_stats
(
    kind          LowCardinality(String),
    country       LowCardinality(String),
    period        UInt16,
    industry      LowCardinality(String),
    natural_key   String,
    first_seen    AggregateFunction(min, Date),
    last_seen     AggregateFunction(max, Date),
    peak_rank     AggregateFunction(min, Nullable(UInt32)),
    days_on_chart AggregateFunction(uniqExact, Date)
)
ENGINE = AggregatingMergeTree
ORDER BY (kind, country, period, industry, natural_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_item_stats_mv TO trend_item_stats AS
SELECT kind, country, period, industry, natural_key,
       minState(data_date) AS first_seen,
       maxState(data_date) AS last_seen,
       minState(rank) AS peak_rank,
       uniqExactState(data_date) AS days_on_chart
FROM trend_observations
GROUP BY kind, country, period, industry, natural_key;
