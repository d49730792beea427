-- Charts as the unit of analysis: every observation, curve point and rollup row names the chart
-- (one upstream list: endpoint, country, period, industry, filters sent) it was observed on. The
-- chart joins each sorting key, so the same item on two charts of one family, country and period
-- (the two API generations' hashtag lists, one list sorted two ways) stays two rows instead of
-- being merged into one. A column added to a sorting key in the same ALTER may have no default
-- expression; rows written before read chart_id ''.
ALTER TABLE trend_observations ADD COLUMN IF NOT EXISTS chart_id LowCardinality(String),
    MODIFY ORDER BY (kind, country, period, industry, data_date, natural_key, chart_id);

ALTER TABLE trend_curve_points ADD COLUMN IF NOT EXISTS chart_id LowCardinality(String),
    MODIFY ORDER BY (kind, country, period, industry, natural_key, at, chart_id);

DROP VIEW IF EXISTS trend_curve_points_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_curve_points_mv TO trend_curve_points AS
SELECT kind, natural_key, country, period, industry, point.1 AS at, point.2 AS value, fetched_at, chart_id
FROM trend_observations
ARRAY JOIN curve AS point;

ALTER TABLE trend_latest ADD COLUMN IF NOT EXISTS chart_id LowCardinality(String),
    MODIFY ORDER BY (kind, country, period, industry, natural_key, chart_id);

DROP VIEW IF EXISTS trend_latest_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_latest_mv TO trend_latest AS
SELECT kind, country, period, industry, natural_key, chart_id,
       maxState(data_date) AS last_date,
       argMaxState((display_name, rank, rank_change, rank_diff_type), (data_date, fetched_at)) AS latest
FROM trend_observations
GROUP BY kind, country, period, industry, natural_key, chart_id;

ALTER TABLE trend_item_stats ADD COLUMN IF NOT EXISTS chart_id LowCardinality(String),
    MODIFY ORDER BY (kind, country, period, industry, natural_key, chart_id);

DROP VIEW IF EXISTS trend_item_stats_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_item_stats_mv TO trend_item_stats AS
SELECT kind, country, period, industry, natural_key, chart_id,
       minState(data_date) AS first_seen,
       maxState(data_date) AS last_seen,
       minState(rank) AS peak_rank,
       uniqExactState(data_date) AS days_on_chart
FROM trend_observations
GROUP BY kind, country, period, industry, natural_key, chart_id;
