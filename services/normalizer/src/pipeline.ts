import { RecordError } from '@trends/core'
import { filter, from, lastValueFrom, map, toArray, type OperatorFunction } from 'rxjs'
import { MAX_JSON_DEPTH, parseJson, scanJson, type Json, type JsonProblem } from '@trends/creative-center'
import {
  deadLetterValue,
  AvroFrameError,
  framedSchemaId,
  recordBytes,
  TOPIC_MAX_MESSAGE_BYTES,
  type AvroCodec,
  type DeadLetterValue,
  type KafkaMessage,
} from '@trends/kafka'
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
}

/** What turning records into cleaned bytes needs; it holds no shared state, so it can run in a worker thread. */
export interface TransformDeps {
  /** Loaded with the cleaned schema; raw schemas are loaded per batch. */
  codec: AvroCodec
  cleanedSchemaId: number
  now: () => number
  /** A cleaned record above this (key, value and headers, uncompressed) is dead-lettered: the cleaned topic's max.message.bytes by default. */
  maxCleanedBytes?: number
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
    }

/** Raised by a stage for a record that cannot go on; the stage's name and this class say why. */
class StageError extends RecordError {
  override name = 'StageError'
}

function deadLetter(step: { source: Source; message: InMessage }, stage: string, error: unknown, now: number): DeadLetter {
  const errorClass = error instanceof RecordError ? error.errorClass : `${stage.toUpperCase()}_FAILED`
  const message = error instanceof Error ? error.message : String(error)
  return deadLetterValue({
    stage: 'normalizer',
    errorClass,
    // Messages are ours or the Avro library's, never record content.
    message,
    source: { topic: step.source.topic, partition: step.source.partition, offset: step.source.offset },
    schemaId: step.source.schemaId >= 0 ? step.source.schemaId : null,
    original: step.message.value,
    context: { step: stage, ...(step.message.key === null ? {} : { key: step.message.key.toString('utf8').slice(0, 500) }) },
    failedAt: now,
  })
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

/** Whether a string of the record (its fields, its map's values) holds U+FFFD, the one sign that its bytes may not have been UTF-8. */
function hasReplacementCharacter(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\uFFFD')
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasReplacementCharacter)
  return false
}

const decodeRecords = (deps: TransformDeps): OperatorFunction<Step<Buffer | null>, Step<RawRecord>> =>
  stage('decode', deps.now, (value, step) => {
    step.source.schemaId = framedSchemaId(value) ?? -1
    let raw: RawRecord
    try {
      raw = deps.codec.decode(value).value as RawRecord
    } catch (error) {
      if (error instanceof AvroFrameError) throw new StageError(error.errorClass, error.message)
      throw error
    }
    // Avro's decoder turns bytes that are not UTF-8 into U+FFFD without a word. Only when one shows
    // is the record encoded again: a real U+FFFD comes back as the same bytes, a replaced byte does not.
    if (value !== null && hasReplacementCharacter(raw) && !deps.codec.encode(step.source.schemaId, raw).equals(value)) {
      throw new StageError('INVALID_UTF8', 'a string of the raw record is not valid UTF-8 (the original keeps its bytes)')
    }
    return raw
  })

const ITEM_PROBLEMS: Readonly<Record<JsonProblem['kind'], { errorClass: string; what: string }>> = {
  'too-deep': { errorClass: 'JSON_TOO_DEEP', what: `nests deeper than ${MAX_JSON_DEPTH} levels` },
  'duplicate-key': { errorClass: 'DUPLICATE_KEY', what: 'has a key twice in one object (ambiguous: which one holds?)' },
  'number-out-of-range': {
    errorClass: 'NUMBER_OUT_OF_RANGE',
    what: 'has a number beyond the range of a double (it would read as Infinity)',
  },
}

const parseItems = (deps: TransformDeps): OperatorFunction<Step<RawRecord>, Step<{ raw: RawRecord; item: Json }>> =>
  stage('parse', deps.now, (raw) => {
    // One linear pass before anything recursive (the big-integer reviver, JSON.stringify) sees the item.
    const problem = scanJson(raw.item_json, { finiteNumbers: true })
    if (problem !== undefined) {
      const { errorClass, what } = ITEM_PROBLEMS[problem.kind]
      throw new StageError(errorClass, `item_json ${what}, at character ${problem.at}`)
    }
    try {
      return { raw, item: parseJson(raw.item_json) }
    } catch (error) {
      throw new StageError('INVALID_ITEM_JSON', `item_json is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
    }
  })

const observeItems = (deps: TransformDeps): OperatorFunction<Step<{ raw: RawRecord; item: Json }>, Step<Observation>> =>
  stage('validate', deps.now, ({ raw, item }, step) => observe(raw, item, step.source, deps.now()))

/** The headers a cleaned record travels with; counted in its size before it is sent. */
const cleanedHeaders = (topic: string, partition: number, offset: string, kind: string): Record<string, string> => ({
  'source-topic': topic,
  'source-partition': String(partition),
  'source-offset': offset,
  kind,
})

const encodeRecords = (deps: TransformDeps): OperatorFunction<Step<Observation>, Step<{ observation: Observation; bytes: Buffer }>> =>
  stage('encode', deps.now, (observation, step) => {
    const bytes = deps.codec.encode(deps.cleanedSchemaId, observation.record)
    const { topic, partition, offset } = step.source
    const size = recordBytes({
      key: observation.record.natural_key,
      value: bytes,
      headers: cleanedHeaders(topic, partition, offset, observation.record.kind),
    })
    const limit = deps.maxCleanedBytes ?? TOPIC_MAX_MESSAGE_BYTES.cleaned
    // Sent anyway, it would fail its transaction on every retry and hold the partition for good.
    if (size > limit) throw new StageError('RECORD_TOO_LARGE', `the cleaned record takes ${size} bytes, above the cleaned topic's ${limit}`)
    return { observation, bytes }
  })

type Kept = Extract<Transformed, { dedupKey: string }>

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
        }
      }),
      toArray(),
    ),
    { defaultValue: [] },
  )
}

/** Applies deduplication to a transformed batch (on the thread that owns the dedup state). */
export async function selectBatch(
  dedup: DedupStore,
  topic: string,
  partition: number,
  transformed: readonly Transformed[],
): Promise<BatchResult> {
  const result: BatchResult = { cleaned: [], dead: [], duplicates: 0, duplicateKinds: [] }
  const shard = shardId(topic, partition)
  const kept = await lastValueFrom(from(transformed).pipe(dropDuplicates(dedup, shard, result), toArray()), {
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
      headers: cleanedHeaders(topic, partition, cleaned.offset, cleaned.kind),
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
