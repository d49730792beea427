-- Chart snapshots. The fetch log names the chart of every attempt, and the last attempt of each
-- chart fetch says how the fetch ended: complete, or why what it fetched is partial (page_failed,
-- max_pages, logged_out_cap, empty). Rows written before read ''.
ALTER TABLE fetch_log ADD COLUMN IF NOT EXISTS chart_id LowCardinality(String) DEFAULT '',
    ADD COLUMN IF NOT EXISTS snapshot LowCardinality(String) DEFAULT '';

-- One row per snapshot: one chart at one upstream data date. Its items are the observations stored
-- for it; it is complete when one of the chart fetches that brought them ended complete (a later
-- fetch of the same data date repeats what the first one brought, and the normalizer publishes no
-- repeat, so the fetches a snapshot's observations name are the ones that matter). `reason` is
-- `complete`, or how the latest of those fetches ended, or `unknown` while its fetch log is not in.
-- Exact without FINAL: items are counted distinct.
CREATE VIEW IF NOT EXISTS chart_snapshots AS
SELECT
    chart_id,
    data_date,
    any(kind) AS kind,
    any(country) AS country,
    any(period) AS period,
    any(industry) AS industry,
    any(endpoint) AS endpoint,
    any(generation) AS generation,
    any(items) AS items,
    toBool(countIf(ending = 'complete') > 0) AS complete,
    if(complete, 'complete', if(argMax(ending, ended_at) = '', 'unknown', argMax(ending, ended_at))) AS reason,
    if(complete, maxIf(pages, ending = 'complete'), max(pages)) AS pages,
    uniqExact(task_id) AS fetches,
    any(first_fetched_at) AS first_fetched_at,
    any(last_fetched_at) AS last_fetched_at
FROM
(
    SELECT chart_id, data_date, kind, country, period, industry, endpoint, generation, items,
           first_fetched_at, last_fetched_at, task_id
    FROM
    (
        SELECT chart_id, data_date,
               any(kind) AS kind, any(country) AS country, any(period) AS period, any(industry) AS industry,
               any(endpoint) AS endpoint, any(generation) AS generation,
               uniqExact(natural_key) AS items,
               min(fetched_at) AS first_fetched_at, max(fetched_at) AS last_fetched_at,
               groupUniqArray(task_id) AS task_ids
        FROM trend_observations
        WHERE chart_id != ''
        GROUP BY chart_id, data_date
    )
    ARRAY JOIN task_ids AS task_id
) AS observed
LEFT JOIN
(
    SELECT task_id,
           argMaxIf(snapshot, requested_at, snapshot != '') AS ending,
           uniqExactIf(page, outcome = 'ok' AND page > 0) AS pages,
           max(requested_at) AS ended_at
    FROM fetch_log
    GROUP BY task_id
) AS fetched USING (task_id)
GROUP BY chart_id, data_date;
