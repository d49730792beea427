-- Reprocessing replaces rows deterministically: every observation carries the version of the
-- normalization that made it (normalizer_version; rows from before read 0), and of two rows of one
-- observation ReplacingMergeTree keeps the one with the higher version, then the later fetch as
-- before. replace_order packs both into the one version column the engine takes (the version above
-- bit 44, fetched_at in milliseconds below it: up to the year 2527).
ALTER TABLE trend_observations
    ADD COLUMN IF NOT EXISTS normalizer_version UInt16 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS replace_order UInt64 MATERIALIZED
        bitShiftLeft(toUInt64(normalizer_version), 44) + toUInt64(greatest(toUnixTimestamp64Milli(fetched_at), 0));

-- An engine's version column cannot change in place, so the table is made again beside the old one
-- with the same columns, filled from it and exchanged for it. The views read trend_observations by
-- name and follow the exchange; the copy goes into a table of another name, so it triggers none of
-- them. Run again after a failure at any step, it starts over from whatever trend_observations is.
DROP TABLE IF EXISTS trend_observations_014;

CREATE TABLE trend_observations_014 AS trend_observations
ENGINE = ReplacingMergeTree(replace_order)
PARTITION BY toYYYYMM(data_date)
ORDER BY (kind, country, period, industry, data_date, natural_key, chart_id)
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO trend_observations_014 SELECT * FROM trend_observations;

EXCHANGE TABLES trend_observations AND trend_observations_014;

DROP TABLE trend_observations_014;
