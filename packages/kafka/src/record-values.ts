import { framedSchemaId } from './avro.ts'
/** A raw record's value as schemas/tiktok.raw.record.avsc has it: one upstream list item and how it was fetched. */
export interface RawRecordValue {
  item_json: string
  item_id: string
  natural_key: string
  family: string
  endpoint: string
  generation: string
  api_path: string
  request_params: Record<string, string>
  country: string | null
  period: string | null
  industry: string | null
  page: number
  position: number
  http_status: number
  request_id: string | null
  fetch_id: string
  task_id: string
  fetched_at: number
}

/** A dead letter as schemas/tiktok.dead-letter.avsc has it: what a stage could not handle, whole, with why. */
export interface DeadLetterValue {
  stage: string
  error_class: string
  message: string
  source_topic: string | null
  source_partition: number | null
  source_offset: string | null
  schema_id: number | null
  original: Buffer
  context: Record<string, string>
  failed_at: number
}

/** Where a record a stage could not handle came from: its topic, partition and offset. */
export interface DeadLetterSource {
  topic: string
  partition: number
  offset: string
}

/** The longest `message` a dead letter keeps: ours or a library's words, never the record, and short. */
export const DEAD_LETTER_MESSAGE_MAX = 1000

/**
 * The one way a dead letter is made, by every stage. A record taken from a topic names its topic,
 * partition and offset, and the schema id its framed (Confluent wire format) value carries; an item
 * that never was a record (a page's list item) has no source. `original` is kept byte for byte.
 */
export function deadLetterValue(letter: {
  stage: 'producer' | 'normalizer' | 'sink' | 'signals'
  errorClass: string
  message: string
  source?: DeadLetterSource
  /** For a source whose value is not framed Avro, or whose schema id is known better than the frame says. */
  schemaId?: number | null
  original: Buffer | null
  context?: Record<string, string>
  failedAt: number
}): DeadLetterValue {
  const original = letter.original ?? Buffer.alloc(0)
  const framed = letter.source === undefined ? undefined : framedSchemaId(letter.original)
  return {
    stage: letter.stage,
    error_class: letter.errorClass,
    message: letter.message.slice(0, DEAD_LETTER_MESSAGE_MAX),
    source_topic: letter.source?.topic ?? null,
    source_partition: letter.source?.partition ?? null,
    source_offset: letter.source?.offset ?? null,
    schema_id: letter.schemaId !== undefined ? letter.schemaId : (framed ?? null),
    original,
    context: letter.context ?? {},
    failed_at: letter.failedAt,
  }
}
