-- The questions asked of a chart, as views. Exact without FINAL: each takes one value per chart,
-- snapshot and item with argMax over the fetch time. Changes between snapshots come from complete
-- snapshots only (a partial one would read as exits of every item it missed).

-- Every item of every snapshot with its rank: the chart as it was on each data date, and whether
-- that snapshot is complete (a partial one holds what its fetch read: the first pages, say).
CREATE VIEW IF NOT EXISTS chart_ranks AS
SELECT o.*, s.complete AS complete, s.reason AS reason
FROM
(
    SELECT
        chart_id,
        data_date,
        natural_key,
        any(kind) AS kind,
        argMax(item_id, fetched_at) AS item_id,
        argMax(display_name, fetched_at) AS display_name,
        argMax(rank, fetched_at) AS rank,
        argMax(posts, fetched_at) AS posts,
        argMax(views, fetched_at) AS views,
        argMax(followers, fetched_at) AS followers
    FROM trend_observations
    WHERE chart_id != ''
    GROUP BY chart_id, data_date, natural_key
) AS o
INNER JOIN (SELECT chart_id, data_date, complete, reason FROM chart_snapshots) AS s
    ON o.chart_id = s.chart_id AND o.data_date = s.data_date;

-- Each chart's latest complete snapshot: what "the chart now" means.
CREATE VIEW IF NOT EXISTS chart_latest AS
SELECT r.*
FROM (SELECT * FROM chart_ranks WHERE complete) AS r
INNER JOIN (SELECT chart_id, max(data_date) AS data_date FROM chart_snapshots WHERE complete GROUP BY chart_id) AS latest
    ON r.chart_id = latest.chart_id AND r.data_date = latest.data_date;

-- Consecutive complete snapshots of each chart: a snapshot and the one before it.
CREATE VIEW IF NOT EXISTS chart_snapshot_pairs AS
SELECT chart_id, previous_date, data_date
FROM
(
    SELECT chart_id, data_date,
           lagInFrame(data_date) OVER (PARTITION BY chart_id ORDER BY data_date ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous_date,
           row_number() OVER (PARTITION BY chart_id ORDER BY data_date) AS n
    FROM chart_snapshots
    WHERE complete
)
WHERE n > 1;

-- What changed between consecutive complete snapshots, one row per item on either: `entered` (on the
-- new one only), `exited` (on the old one only), `moved` (rank changed; `places` > 0 is up) or
-- `stayed`.
CREATE VIEW IF NOT EXISTS chart_changes AS
SELECT
    chart_id,
    previous_date,
    data_date,
    natural_key,
    any(item_kind) AS kind,
    if(countIf(side = 'new') > 0, anyIf(item_name, side = 'new'), anyIf(item_name, side = 'old')) AS display_name,
    anyIf(item_rank, side = 'old') AS previous_rank,
    anyIf(item_rank, side = 'new') AS rank,
    multiIf(
        countIf(side = 'old') = 0, 'entered',
        countIf(side = 'new') = 0, 'exited',
        anyIf(item_rank, side = 'old') != anyIf(item_rank, side = 'new'), 'moved',
        'stayed') AS change,
    if(countIf(side = 'old') > 0 AND countIf(side = 'new') > 0,
       toInt64(anyIf(item_rank, side = 'old')) - toInt64(anyIf(item_rank, side = 'new')), NULL) AS places
FROM
(
    SELECT p.chart_id AS chart_id, p.previous_date AS previous_date, p.data_date AS data_date, r.natural_key AS natural_key,
           r.kind AS item_kind, r.display_name AS item_name, r.rank AS item_rank, 'new' AS side
    FROM chart_snapshot_pairs AS p
    INNER JOIN (SELECT * FROM chart_ranks WHERE complete) AS r ON r.chart_id = p.chart_id AND r.data_date = p.data_date
    UNION ALL
    SELECT p.chart_id, p.previous_date, p.data_date, r.natural_key, r.kind, r.display_name, r.rank, 'old'
    FROM chart_snapshot_pairs AS p
    INNER JOIN (SELECT * FROM chart_ranks WHERE complete) AS r ON r.chart_id = p.chart_id AND r.data_date = p.previous_date
)
GROUP BY chart_id, previous_date, data_date, natural_key;
