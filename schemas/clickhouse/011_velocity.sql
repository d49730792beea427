-- How fast items move on a chart, and which break out. Both read each chart's complete snapshots of
-- the last 7 days before its latest complete one (so a stalled chart is judged on its own days).

-- Per chart and item on its latest complete snapshot: rank velocity, the least-squares slope of its
-- rank over those snapshots in places per day (positive = rising; from 2 snapshots on), and curve
-- velocity, the slope of its popularity curve (0–100) over the same days in points per day, where
-- the upstream gives a curve.
CREATE VIEW IF NOT EXISTS chart_velocity AS
WITH latest AS
(
    SELECT chart_id, max(data_date) AS latest_date FROM chart_snapshots WHERE complete GROUP BY chart_id
)
SELECT
    r.chart_id AS chart_id,
    l.latest_date AS data_date,
    r.natural_key AS natural_key,
    argMax(r.display_name, r.data_date) AS display_name,
    argMax(r.rank, r.data_date) AS rank,
    count() AS snapshots,
    if(count() >= 2, 0 - simpleLinearRegression(toFloat64(toUInt32(r.data_date)), toFloat64(r.rank)).1, NULL) AS rank_velocity,
    any(c.curve_velocity) AS curve_velocity
FROM (SELECT * FROM chart_ranks WHERE complete AND rank IS NOT NULL) AS r
INNER JOIN latest AS l ON r.chart_id = l.chart_id
LEFT JOIN
(
    SELECT chart_id, natural_key,
           if(count() >= 2, simpleLinearRegression(toFloat64(toUInt32(day)), day_value).1, NULL) AS curve_velocity
    FROM
    (
        -- One value per day: a day's point as the latest fetch gave it (a curve is sent again with
        -- every snapshot, and the rows are counted without FINAL).
        SELECT p.chart_id AS chart_id, p.natural_key AS natural_key, toDate(p.at) AS day, argMax(p.value, p.fetched_at) AS day_value
        FROM trend_curve_points AS p
        INNER JOIN latest AS lc ON p.chart_id = lc.chart_id
        WHERE toDate(p.at) > lc.latest_date - 7 AND toDate(p.at) <= lc.latest_date
        GROUP BY chart_id, natural_key, day
    )
    GROUP BY chart_id, natural_key
) AS c ON c.chart_id = r.chart_id AND c.natural_key = r.natural_key
WHERE r.data_date > l.latest_date - 7 AND r.data_date <= l.latest_date
GROUP BY chart_id, data_date, natural_key
HAVING max(r.data_date) = data_date;

-- Breakouts: items of a chart's latest complete snapshot rising at least 5 places a day over at
-- least 3 snapshots, or whose popularity curve rises at least 10 points a day. `why` says which.
CREATE VIEW IF NOT EXISTS chart_breakouts AS
SELECT *, multiIf(rank_velocity >= 5 AND snapshots >= 3, 'rank', 'curve') AS why
FROM chart_velocity
WHERE (rank_velocity >= 5 AND snapshots >= 3) OR curve_velocity >= 10;
