export {
  ENDPOINTS,
  FAMILIES,
  LEGACY_COUNTRIES,
  CREATIVE_ONE_COUNTRIES,
  INDUSTRIES,
  findEndpoint,
  endpointNames,
  hostsOf,
  DEFAULT_HOST,
} from './endpoints.ts'
export type { EndpointDef, Family, Generation, PaginationKeys } from './endpoints.ts'
export { targetProblems, upstreamParams, naturalKey, describeTarget, chartId, chartOfRequest } from './target.ts'
export type { FetchTarget } from './target.ts'
export { endsChart, failedSnapshotOutcome, snapshotOutcome, SNAPSHOT_OUTCOMES } from './snapshot.ts'
export type { PageEnd, SnapshotOutcome } from './snapshot.ts'
export { createCreativeCenterClient, CreativeCenterError } from './client.ts'
export type { CreativeCenterClient, PageResult, AttemptEvent, ClientDeps, PageOptions } from './client.ts'
export { classifyResponse, classifyEnvelope, excerpt } from './classify.ts'
export type { RawItem, Pagination, Classified } from './classify.ts'
export { parseJson, arrayElementSpans, pathGet, scanJson, MAX_JSON_DEPTH } from './json.ts'
export type { Json, Span, JsonProblem, ScanOptions } from './json.ts'
export { userSign, legacySigningHeaders, newIdentity } from './sign.ts'
export { TokenBucket, sharedBucket } from './rate-limit.ts'
export { backoffDelay, parseRetryAfter, nextDelay, DEFAULT_RETRY } from './retry.ts'
export type { RetryPolicy } from './retry.ts'
export { readCreativeCenterSettings, DEFAULT_BASE_URL } from './settings.ts'
export type { CreativeCenterSettings } from './settings.ts'
export { CONTRACTS, ContractFileError, parseContracts, itemDrift, pageDrift, driftFieldLabel, describeDrift, hasType } from './contracts.ts'
export type { Contracts, FieldContract, FieldType, FieldDrift, DriftKind, PageDrift } from './contracts.ts'
export { readIndustryList, INDUSTRY_LIST_PATH } from './industries.ts'
