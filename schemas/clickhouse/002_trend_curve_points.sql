-- The popularity curve exploded into a time series (0–100 scale), filled from trend_observations.
CREATE TABLE IF NOT EXISTS trend_curve_points
(
    kind        LowCardinality(String),
    natural_key String,
    country     LowCardinality(String),
    period      UInt16,
    industry    LowCardinality(String),
    at          DateTime64(3, 'UTC'),
    value       Float64,
    fetched_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(fetched_at)
PARTITION BY toYYYYMM(at)
ORDER BY (kind, country, period, industry, natural_key, at);

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_curve_points_mv TO trend_curve_points AS
SELECT kind, natural_key, country, period, industry, point.1 AS at, point.2 AS value, fetched_at
FROM trend_observations
ARRAY JOIN curve AS point;
