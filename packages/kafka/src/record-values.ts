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
