/**
 * The version of the normalization: what `observe` makes of a raw record. Every cleaned record
 * carries it (`normalizer_version`), ClickHouse keeps it in trend_observations, and of two rows of one
 * observation the one with the higher version replaces the other. Bump it with any change that makes
 * the normalizer's output for the same input differ (a new rule for a field, a field filled that was
 * not, a name cleaned another way); test/version.test.ts fails when the output changes and it does
 * not, and says what to record. Records written before versions existed read 0.
 */
export const NORMALIZER_VERSION = 1
