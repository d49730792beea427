import { RecordError } from '@trends/core'
import { chartOfRequest, findEndpoint, type Json } from '@trends/creative-center'
import type { RawRecordValue } from '@trends/kafka'
import { hash52 } from './dedup.ts'
import { SPECS } from './families.ts'
import { displayName, epochDay, normalizeName, requestIdTime, toEpochMs } from './normalize.ts'
import { NORMALIZER_VERSION } from './version.ts'

/** The raw record's value (the raw topics' schema). */
export type RawRecord = RawRecordValue

/** The cleaned record's value, as schemas/tiktok.trends.cleaned.avsc has it. */
export interface CleanedRecord {
  kind: string
  item_id: string
  natural_key: string
  display_name: string
  normalized_name: string
  country: string | null
  period: number | null
  industry: string | null
  rank: number | null
  rank_is_position: boolean
  rank_change: number | null
  rank_diff_type: number | null
  posts: number | null
  views: number | null
  likes: number | null
  followers: number | null
  curve: Array<{ at: number; value: number }>
  data_date: number | null
  attributes: Record<string, string>
  endpoint: string
  generation: string
  fetched_at: number
  observed_at: number
  fetch_id: string
  task_id: string
  source_topic: string
  source_partition: number
  source_offset: number
  source_schema_id: number
  chart_id: string
  normalizer_version: number
}

export interface Source {
  topic: string
  partition: number
  offset: string
  schemaId: number
}

/** Why an item is not a valid observation; it goes to the dead letters with this class. */
export class ValidationError extends RecordError {
  override name = 'ValidationError'
}

/** Longest name kept; beyond it the item is refused (a chart name is tens of characters). */
export const MAX_NAME_CHARS = 1024

export interface Observation {
  record: CleanedRecord
  /** Chart, natural key and upstream data date: the same item in the same snapshot of the same chart. */
  dedupKey: string
  /** A digest of the facts (rank, counts, curve, name): a change is a new fact. */
  fingerprint: number
}

/**
 * The identity of an observation: the same item on the same chart in the same upstream snapshot.
 * The chart is part of it: an item on two charts of one family, country and period (the two API
 * generations' hashtag lists, or one list sorted two ways) is two observations. A record written
 * before charts had ids reads `''` and never matches a new one, so it is published once more.
 */
export function dedupKeyOf(record: Pick<CleanedRecord, 'chart_id' | 'natural_key' | 'data_date'>): string {
  return `${record.chart_id}|${record.natural_key}|${record.data_date ?? 'undated'}`
}

/**
 * The facts that make an observation new when they change: name, rank, counts and curve, and the
 * version of the normalization that read them (an observation made again by a newer normalization
 * is published again, so it replaces the old one downstream; a record of the cleaned topic from
 * before versions has none and reads 0).
 */
export function factsFingerprint(record: CleanedRecord): number {
  const curve = record.curve.map((point) => [Number(point.at), point.value])
  const facts = [
    record.normalizer_version ?? 0,
    record.display_name,
    record.rank,
    record.rank_change,
    record.rank_diff_type,
    record.posts,
    record.views,
    record.likes,
    record.followers,
    curve,
  ]
  return hash52(JSON.stringify(facts))
}

/** The upstream snapshot date: the last curve point, else the request_id's stamp, else the period end. */
function dataDate(curveEnd: number | undefined, raw: RawRecord): number | null {
  if (curveEnd !== undefined) return epochDay(curveEnd)
  const stamped = requestIdTime(raw.request_id)
  if (stamped !== null) return epochDay(stamped)
  const periodEnd = toEpochMs(raw.request_params['periodEndTimestamp'])
  return periodEnd === null ? null : epochDay(periodEnd)
}

/**
 * Turns a raw record and its parsed item into one cleaned observation, or throws a
 * ValidationError naming what is wrong. Pure: the same input gives the same record (apart from
 * `observedAt`, passed in).
 */
export function observe(raw: RawRecord, item: Json, source: Source, observedAt: number): Observation {
  const spec = SPECS[raw.endpoint]
  const endpoint = findEndpoint(raw.endpoint)
  if (spec === undefined || endpoint === undefined) throw new ValidationError('UNKNOWN_ENDPOINT', `no mapping for endpoint ${raw.endpoint}`)
  if (item === null || typeof item !== 'object' || Array.isArray(item))
    throw new ValidationError('INVALID_ITEM', 'the item is not a JSON object')
  const missingRequired = spec.required.filter((field) => item[field] === undefined || item[field] === null)
  if (missingRequired.length > 0) throw new ValidationError('MISSING_FIELD', `${raw.endpoint} item lacks ${missingRequired.join(', ')}`)
  const extracted = spec.extract(item)
  if (extracted.itemId === '') throw new ValidationError('MISSING_ID', `${raw.endpoint} item has no usable id`)
  if (extracted.itemId !== raw.item_id)
    throw new ValidationError('ID_MISMATCH', `item id ${extracted.itemId} differs from the record's ${raw.item_id}`)
  if (extracted.name.length > MAX_NAME_CHARS) {
    throw new ValidationError('NAME_TOO_LONG', `the name has ${extracted.name.length} characters (at most ${MAX_NAME_CHARS})`)
  }
  const normalized = normalizeName(extracted.name, spec.kind)
  if (normalized === '' && spec.kind !== 'video') throw new ValidationError('EMPTY_NAME', `${raw.endpoint} item has an empty name`)
  if (spec.required.includes('rank') || spec.required.includes('rankIndex')) {
    if (extracted.rank === null || extracted.rank < 1)
      throw new ValidationError('INVALID_RANK', `rank ${JSON.stringify(extracted.rank)} is not a positive integer`)
  }
  const pageSize = Number(raw.request_params['limit'] ?? 0)
  const derivedRank = extracted.rank === null && pageSize > 0 ? (raw.page - 1) * pageSize + raw.position + 1 : null
  const period = raw.period === null ? null : Number(raw.period)
  const record: CleanedRecord = {
    kind: spec.kind,
    item_id: extracted.itemId,
    natural_key: raw.natural_key,
    display_name: displayName(extracted.name, spec.kind),
    normalized_name: normalized,
    country: raw.country,
    period: period !== null && Number.isInteger(period) ? period : null,
    industry: raw.industry,
    rank: extracted.rank ?? derivedRank,
    rank_is_position: extracted.rank === null && derivedRank !== null,
    rank_change: extracted.rankChange,
    rank_diff_type: extracted.rankDiffType,
    posts: extracted.posts,
    views: extracted.views,
    likes: extracted.likes,
    followers: extracted.followers,
    curve: extracted.curve,
    data_date: dataDate(extracted.curve.at(-1)?.at, raw),
    attributes: extracted.attributes,
    endpoint: raw.endpoint,
    generation: raw.generation,
    fetched_at: raw.fetched_at,
    observed_at: observedAt,
    fetch_id: raw.fetch_id,
    task_id: raw.task_id,
    source_topic: source.topic,
    source_partition: source.partition,
    source_offset: Number(source.offset),
    source_schema_id: source.schemaId,
    chart_id: chartOfRequest(endpoint, raw, raw.request_params),
    normalizer_version: NORMALIZER_VERSION,
  }
  return {
    record,
    dedupKey: dedupKeyOf(record),
    fingerprint: factsFingerprint(record),
  }
}
