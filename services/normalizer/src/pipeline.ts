import { RecordError } from '@trends/core'
import { filter, from, lastValueFrom, map, tap, toArray, type OperatorFunction } from 'rxjs'
import { parseJson, type Json } from '@trends/creative-center'
import { AvroFrameError, framedSchemaId, type AvroCodec, type DeadLetterValue, type KafkaMessage } from '@trends/kafka'
import { shardId, type DedupStore } from './dedup.ts'
import { observe, type Observation, type RawRecord, type Source } from './observation.ts'

export type DeadLetter = DeadLetterValue

/** One record on its way through the stages: still going (`value`) or already a dead letter. */
type Step<T> = { source: Source; message: InMessage; value: T } | { source: Source; message: InMessage; dead: DeadLetter }

export interface CleanedOut {
  key: string
  value: Buffer
  headers: Record<string, string>
  shard: string
  dedupKey: string
  fingerprint: number
}

export interface BatchResult {
  cleaned: CleanedOut[]
  dead: DeadLetter[]
  duplicates: number
  /** Kind of every record dropped as a duplicate, for the metric. */
  duplicateKinds: string[]
  drift: Array<{ family: string; field: string; kind: 'unknown' | 'missing' }>
}

/** What turning records into cleaned bytes needs; it holds no shared state, so it can run in a worker thread. */
export interface TransformDeps {
  /** Loaded with the cleaned schema; raw schemas are loaded per batch. */
  codec: AvroCodec
  cleanedSchemaId: number
  now: () => number
}

export interface PipelineDeps extends TransformDeps {
  dedup: DedupStore
}

/** The fields of a Kafka message the transform reads (all a worker thread is sent). */
export type InMessage = Pick<KafkaMessage, 'offset' | 'key' | 'value'>

/** One record after the transform: its dead letter, or its encoded cleaned record with what dedup needs. Plain data. */
export type Transformed =
  | { offset: string; dead: DeadLetter }
  | {
      offset: string
      key: string
      value: Buffer
      kind: string
      dedupKey: string
      fingerprint: number
      drift: { unknown: string[]; missing: string[] }
    }

/** Raised by a stage for a record that cannot go on; the stage's name and this class say why. */
class StageError extends RecordError {
  override name = 'StageError'
}

function deadLetter(step: { source: Source; message: InMessage }, stage: string, error: unknown, now: number): DeadLetter {
  const errorClass = error instanceof RecordError ? error.errorClass : `${stage.toUpperCase()}_FAILED`
  const message = error instanceof Error ? error.message : String(error)
  return {
    stage: 'normalizer',
    error_class: errorClass,
    // Messages are ours or the Avro library's, never record content; still, keep them short.
    message: message.slice(0, 500),
    source_topic: step.source.topic,
    source_partition: step.source.partition,
    source_offset: step.source.offset,
    schema_id: step.source.schemaId >= 0 ? step.source.schemaId : null,
    original: step.message.value ?? Buffer.alloc(0),
    context: { step: stage, ...(step.message.key === null ? {} : { key: step.message.key.toString('utf8').slice(0, 500) }) },
    failed_at: now,
  }
}

/**
 * A stage: applies `work` to records still going, and turns a thrown error into a dead letter for
 * that record alone; records that are already dead letters pass through untouched.
 */
function stage<A, B>(
  name: string,
  now: () => number,
  work: (value: A, step: { source: Source; message: InMessage }) => B,
): OperatorFunction<Step<A>, Step<B>> {
  return map((step: Step<A>): Step<B> => {
    if ('dead' in step) return step
    try {
      return { source: step.source, message: step.message, value: work(step.value, step) }
    } catch (error) {
      return { source: step.source, message: step.message, dead: deadLetter(step, name, error, now()) }
    }
  })
}

const DECODE_ERRORS: Readonly<Record<AvroFrameError['reason'], string>> = {
  'not-framed': 'NOT_CONFLUENT_AVRO',
  'unknown-schema': 'UNKNOWN_SCHEMA_ID',
  'bad-body': 'AVRO_DECODE_FAILED',
}

const decodeRecords = (deps: TransformDeps): OperatorFunction<Step<Buffer | null>, Step<RawRecord>> =>
  stage('decode', deps.now, (value, step) => {
    step.source.schemaId = framedSchemaId(value) ?? -1
    try {
      return deps.codec.decode(value).value as RawRecord
    } catch (error) {
      if (error instanceof AvroFrameError) throw new StageError(DECODE_ERRORS[error.reason], error.message)
      throw error
    }
  })

const parseItems = (deps: TransformDeps): OperatorFunction<Step<RawRecord>, Step<{ raw: RawRecord; item: Json }>> =>
  stage('parse', deps.now, (raw) => {
    try {
      return { raw, item: parseJson(raw.item_json) }
    } catch (error) {
      throw new StageError('INVALID_ITEM_JSON', `item_json is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
    }
  })

const observeItems = (deps: TransformDeps): OperatorFunction<Step<{ raw: RawRecord; item: Json }>, Step<Observation>> =>
  stage('validate', deps.now, ({ raw, item }, step) => observe(raw, item, step.source, deps.now()))

const encodeRecords = (deps: TransformDeps): OperatorFunction<Step<Observation>, Step<{ observation: Observation; bytes: Buffer }>> =>
  stage('encode', deps.now, (observation) => ({ observation, bytes: deps.codec.encode(deps.cleanedSchemaId, observation.record) }))

type Kept = Extract<Transformed, { dedupKey: string }>

/** Counts fields the item has that its mapping does not know, and known fields it lacks. */
const countDrift = (result: BatchResult): OperatorFunction<Transformed, Transformed> =>
  tap((record) => {
    if ('dead' in record) return
    for (const field of record.drift.unknown) result.drift.push({ family: record.kind, field, kind: 'unknown' })
    for (const field of record.drift.missing) result.drift.push({ family: record.kind, field, kind: 'missing' })
  })

/**
 * Drops a record whose facts were already published for the same item and snapshot, or appear
 * earlier in this batch. The store is only read here; it learns the batch's keys after commit.
 */
function dropDuplicates(dedup: DedupStore, shard: string, result: BatchResult): OperatorFunction<Transformed, Transformed> {
  const inBatch = new Map<string, number>()
  return filter((record) => {
    if ('dead' in record) return true
    const earlier = inBatch.get(record.dedupKey)
    const duplicate =
      earlier === undefined ? dedup.verdict(shard, record.dedupKey, record.fingerprint) === 'duplicate' : earlier === record.fingerprint
    if (duplicate) {
      result.duplicates++
      result.duplicateKinds.push(record.kind)
      return false
    }
    inBatch.set(record.dedupKey, record.fingerprint)
    return true
  })
}

/**
 * The transform, without shared state (so it can run in a worker thread): decode → parse →
 * validate and normalize → encode, each record ending as its cleaned bytes or its dead letter.
 */
export async function transformBatch(
  deps: TransformDeps,
  topic: string,
  partition: number,
  messages: readonly InMessage[],
): Promise<Transformed[]> {
  // The one asynchronous step: fetch the writer schemas this batch uses (cached after the first).
  await deps.codec.loadFor(messages.map((message) => message.value))
  return lastValueFrom(
    from(messages).pipe(
      map((message): Step<Buffer | null> => ({
        source: { topic, partition, offset: message.offset, schemaId: -1 },
        message,
        value: message.value,
      })),
      decodeRecords(deps),
      parseItems(deps),
      observeItems(deps),
      encodeRecords(deps),
      map((step): Transformed => {
        if ('dead' in step) return { offset: step.source.offset, dead: step.dead }
        const { observation, bytes } = step.value
        return {
          offset: step.source.offset,
          key: observation.record.natural_key,
          value: bytes,
          kind: observation.record.kind,
          dedupKey: observation.dedupKey,
          fingerprint: observation.fingerprint,
          drift: observation.drift,
        }
      }),
      toArray(),
    ),
    { defaultValue: [] },
  )
}

/** Applies drift counting and deduplication to a transformed batch (on the thread that owns the dedup state). */
export async function selectBatch(
  dedup: DedupStore,
  topic: string,
  partition: number,
  transformed: readonly Transformed[],
): Promise<BatchResult> {
  const result: BatchResult = { cleaned: [], dead: [], duplicates: 0, duplicateKinds: [], drift: [] }
  const shard = shardId(topic, partition)
  const kept = await lastValueFrom(from(transformed).pipe(countDrift(result), dropDuplicates(dedup, shard, result), toArray()), {
    defaultValue: [],
  })
  for (const record of kept) {
    if ('dead' in record) {
      result.dead.push(record.dead)
      continue
    }
    const cleaned: Kept = record
    result.cleaned.push({
      key: cleaned.key,
      value: cleaned.value,
      headers: { 'source-topic': topic, 'source-partition': String(partition), 'source-offset': cleaned.offset, kind: cleaned.kind },
      shard,
      dedupKey: cleaned.dedupKey,
      fingerprint: cleaned.fingerprint,
    })
  }
  return result
}

/**
 * Turns one Kafka batch into cleaned records and dead letters:
 * decode → parse → validate and normalize → encode, then deduplicate. Duplicates (the same facts
 * for the same item and snapshot as already published, or earlier in this batch) are dropped.
 */
export async function processBatch(
  deps: PipelineDeps,
  topic: string,
  partition: number,
  messages: readonly InMessage[],
): Promise<BatchResult> {
  return selectBatch(deps.dedup, topic, partition, await transformBatch(deps, topic, partition, messages))
}
