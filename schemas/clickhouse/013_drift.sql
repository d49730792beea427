-- How each successful page's items differed from the endpoint's field contract (the fetch log's
-- `drift`): a required field missing, an unknown field, a known field retyped, with how many items.
-- Empty when the page kept its contract, and in rows written before.
ALTER TABLE fetch_log ADD COLUMN IF NOT EXISTS drift Array(Tuple(field String, kind LowCardinality(String), items UInt32)) DEFAULT [];
