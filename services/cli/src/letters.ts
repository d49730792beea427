/**
 * What `trends dlq` shows and sends, from the dead letters it read: a row per letter, and the plan
 * of a redrive (which letters go back to which topic, which cannot). Pure, so tested on its own.
 */
import type { DeadLetterValue } from '@trends/kafka'
import type { Format } from './output.ts'

/** A dead letter with where it sits in the dead-letter topic. */
export interface Letter extends DeadLetterValue {
  dlqPartition: number
  dlqOffset: string
  key: Buffer | null
}

/** A row of `trends dlq list`; a table cuts the message at 80 characters, JSON and CSV keep it whole. */
export function letterRow(letter: Letter, format: Format): Record<string, unknown> {
  return {
    offset: `${letter.dlqPartition}:${letter.dlqOffset}`,
    failed_at: new Date(letter.failed_at).toISOString(),
    stage: letter.stage,
    error_class: letter.error_class,
    source: letter.source_topic === null ? '' : `${letter.source_topic}[${letter.source_partition}]@${letter.source_offset}`,
    bytes: letter.original.length,
    message: format === 'table' ? letter.message.slice(0, 80) : letter.message,
  }
}

/** The line after the list, on stderr so that JSON and CSV output stays clean. */
export function listSummary(total: number, shown: number): string {
  return `${total} dead letters${total > shown ? `, the last ${shown} shown` : ''}\n`
}

export interface RedrivePlan {
  /** Letters to publish again, by the topic they came from, in the order they were read. */
  byTopic: Map<string, Letter[]>
  /** Letters that cannot go back: no source topic (a fetch that never became a record) or no bytes. */
  skipped: number
}

export function redrivePlan(letters: readonly Letter[]): RedrivePlan {
  const byTopic = new Map<string, Letter[]>()
  let skipped = 0
  for (const letter of letters) {
    if (letter.source_topic === null || letter.original.length === 0) {
      skipped += 1
      continue
    }
    byTopic.set(letter.source_topic, [...(byTopic.get(letter.source_topic) ?? []), letter])
  }
  return { byTopic, skipped }
}

/** What `trends dlq redrive` prints before it sends (or, with --dry-run, instead). */
export function planLines(plan: RedrivePlan, dryRun: boolean): string {
  let text = ''
  for (const [source, list] of plan.byTopic) text += `${dryRun ? 'would redrive' : 'redriving'} ${list.length} → ${source}\n`
  if (plan.skipped > 0) text += `skipped ${plan.skipped} without a source topic\n`
  return text
}

/** The records that put letters back: the original bytes and key, marked with where the letter was. */
export function redriveMessages(
  letters: readonly Letter[],
  deadLetterTopic: string,
): Array<{ key: string | Buffer | null; value: Buffer; headers: Record<string, string> }> {
  return letters.map((letter) => ({
    key: letter.context['key'] ?? letter.key,
    value: letter.original,
    headers: { 'redriven-from': `${deadLetterTopic}:${letter.dlqPartition}:${letter.dlqOffset}` },
  }))
}
