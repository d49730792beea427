/**
 * What `trends run` prints while the pipeline runs, from the services' metrics: the progress of
 * each stage, the status line, and when the first cycle is in ClickHouse. Pure functions of the
 * scraped samples, so the wording and the arithmetic are tested without starting anything.
 */
import { usage } from './errors.ts'
import { metricSum, type Samples } from './prometheus.ts'

/** Counters summed over the producer, normalizer and sink. */
export interface Progress {
  scheduled: number
  tasksDone: number
  raw: number
  normalizerIn: number
  cleaned: number
  duplicates: number
  dead: number
  inserted: number
  sinkIn: number
}

export function progressOf(samples: Samples): Progress {
  return {
    scheduled: metricSum(samples, 'trends_scheduler_tasks_total'),
    tasksDone: metricSum(samples, 'trends_worker_tasks_total'),
    // The worker counts its fetch-log entries too; raw records are those on raw topics.
    raw: samples
      .filter((sample) => sample.name === 'trends_worker_records_total' && (sample.labels['topic'] ?? '').includes('.raw.'))
      .reduce((sum, sample) => sum + sample.value, 0),
    normalizerIn: metricSum(samples, 'trends_normalizer_records_in_total'),
    cleaned: metricSum(samples, 'trends_normalizer_records_out_total'),
    duplicates: metricSum(samples, 'trends_normalizer_dedup_hits_total'),
    dead:
      metricSum(samples, 'trends_worker_dead_letters_total') +
      metricSum(samples, 'trends_normalizer_dead_letters_total') +
      metricSum(samples, 'trends_sink_dead_letters_total'),
    inserted: metricSum(samples, 'trends_sink_rows_inserted_total', { table: 'trend_observations' }),
    sinkIn: metricSum(samples, 'trends_sink_records_in_total'),
  }
}

/**
 * Records not yet through: raw records the normalizer has not read, and cleaned ones not yet in
 * ClickHouse. Each term is floored at 0 because the counters are scraped one service after the
 * other, so a downstream count can briefly run ahead of the upstream one it is compared with.
 */
export function behind(p: Progress): number {
  return Math.max(0, p.raw - p.normalizerIn) + Math.max(0, p.cleaned - p.inserted)
}

export function statusLine(p: Progress): string {
  return `tasks ${p.tasksDone}/${p.scheduled} · raw ${p.raw} · cleaned ${p.cleaned} (${p.duplicates} repeats dropped) · in ClickHouse ${p.inserted} · dead letters ${p.dead} · behind ${behind(p)}`
}

/** The first cycle is in ClickHouse: every scheduled task done, and everything it produced inserted. */
export function firstCycleDone(p: Progress): boolean {
  return p.scheduled > 0 && p.tasksDone >= p.scheduled && p.normalizerIn >= p.raw && p.inserted > 0 && p.inserted >= p.cleaned
}

/** --status-every: whole seconds, at least one (`5s`); anything else is a usage error. */
export function statusInterval(value: string): number {
  const ms = /^\d+s$/.test(value) ? Number(value.slice(0, -1)) * 1000 : Number.NaN
  if (!Number.isFinite(ms) || ms < 1000) throw usage(`--status-every: whole seconds such as 5s (got ${JSON.stringify(value)})`)
  return ms
}

/** A line of the run's own output: the UTC time of day, then the text. */
export function timestamped(line: string, at: Date): string {
  return `${at.toISOString().slice(11, 19)}  ${line}\n`
}

/** Why ClickHouse refused the migrations, in its own terms: its error name, else a code, else the message. */
export function refusalReason(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; type?: unknown }
  if (typeof failure.type === 'string' && failure.type !== '') return failure.type
  if (typeof failure.code === 'string') return failure.code
  return error instanceof Error ? error.message : String(error)
}
