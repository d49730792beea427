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
