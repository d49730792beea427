-- The fence for retired lanes. Each owner of a partition (a sink lane, after every rebalance) writes
-- its claim here before it reads the ledger; an owner checks, after its ledger row is acknowledged
-- and before the data insert, that the latest claim is still its own, and abandons the batch
-- otherwise. An old owner's check that misses the new claim ran before that claim was
-- acknowledged, so its ledger row was already visible to the new owner's ledger read, which then
-- forms the same range (same token, ClickHouse drops the repeat).
CREATE TABLE IF NOT EXISTS sink_claims
(
    target     LowCardinality(String),
    topic      LowCardinality(String),
    partition  UInt16,
    owner      String,
    claimed_at DateTime64(9, 'UTC') DEFAULT now64(9)
)
ENGINE = MergeTree
ORDER BY (target, topic, partition, claimed_at)
TTL toDateTime(claimed_at) + INTERVAL 90 DAY;

-- Ledger rows carry the claim of the owner that wrote them. An abandoned batch may leave a range
-- beside the one the new owner formed from the same first offset; both rows stay (the claim is part
-- of the sorting key, so a merge does not keep whichever came last) and a reader takes the range of
-- the newest claim. Rows written before this migration read as the oldest claim.
ALTER TABLE sink_batches ADD COLUMN IF NOT EXISTS claimed_at DateTime64(9, 'UTC'), MODIFY ORDER BY (target, topic, partition, first, claimed_at);
