import { AvroFrameError, deadLetterValue, type AvroCodec, type DeadLetterValue } from '@trends/kafka'
import type { InsertFailure } from './insert.ts'
import type { Batch, Entry } from './lane.ts'
import { RowError, type Route } from './routes.ts'

/** Records as batches keep them, and the dead letters the sink makes of what cannot be stored. */
export interface EntryMaker {
  /** Decodes and maps one record; a record that cannot become a row becomes its dead letter. */
  toEntry(route: Route, partition: number, message: { offset: string; value: Buffer | null }): Entry
  /** The dead letter of a row ClickHouse refused for its content. */
  refused(batch: Batch, entry: Entry, failure: InsertFailure): DeadLetterValue
}

export function entryMaker(codec: AvroCodec, now: () => number): EntryMaker {
  const deadLetter = (
    source: { topic: string; partition: number; offset: string },
    original: Buffer | null,
    errorClass: string,
    message: string,
    context: Record<string, string>,
  ) => deadLetterValue({ stage: 'sink', errorClass, message, source, original, context, failedAt: now() })
  return {
    toEntry(route, partition, message) {
      const bytes = message.value?.length ?? 0
      const base = { offset: message.offset, value: message.value, bytes }
      try {
        const record = codec.decode(message.value).value as Record<string, unknown>
        const fetchedAt = record['fetched_at']
        const dataDay = record['data_date']
        return {
          ...base,
          row: route.toRow(record),
          ...(typeof fetchedAt === 'number' ? { fetchedAt } : {}),
          ...(typeof dataDay === 'number' ? { dataDay } : {}),
        }
      } catch (error) {
        const errorClass =
          error instanceof AvroFrameError ? error.errorClass : error instanceof RowError ? error.errorClass : 'SINK_MAPPING_FAILED'
        const text = error instanceof Error ? error.message : String(error)
        const source = { topic: route.topic, partition, offset: message.offset }
        return { ...base, dead: deadLetter(source, message.value, errorClass, text, { table: route.table }) }
      }
    },
    refused(batch, entry, failure) {
      const source = { topic: batch.topic, partition: batch.partition, offset: entry.offset }
      return deadLetter(source, entry.value, `CLICKHOUSE_${failure.type || 'INSERT_REFUSED'}`, failure.message, {
        table: batch.route.table,
        clickhouse_code: failure.code,
      })
    },
  }
}
