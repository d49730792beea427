/**
 * What `trends run` prints while the pipeline runs, from the services' metrics: the progress of
 * each stage, the status line, and when the first cycle is in ClickHouse. Pure functions of the
 * scraped samples, so the wording and the arithmetic are tested without starting anything.
 */
import { PIPELINE_METRICS } from '@trends/metrics'
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
  /** Chart changes the signals stage committed. */
  signals: number
}

export function progressOf(samples: Samples): Progress {
  return {
    scheduled: metricSum(samples, PIPELINE_METRICS.scheduledTasks),
    tasksDone: metricSum(samples, PIPELINE_METRICS.workerTasks),
    // The worker counts its fetch-log entries too; raw records are those on raw topics.
    raw: samples
      .filter((sample) => sample.name === PIPELINE_METRICS.workerRecords && (sample.labels['topic'] ?? '').includes('.raw.'))
      .reduce((sum, sample) => sum + sample.value, 0),
    normalizerIn: metricSum(samples, PIPELINE_METRICS.normalizerRecordsIn),
    cleaned: metricSum(samples, PIPELINE_METRICS.normalizerRecordsOut),
    duplicates: metricSum(samples, PIPELINE_METRICS.normalizerDedupHits),
    dead:
      metricSum(samples, PIPELINE_METRICS.workerDeadLetters) +
      metricSum(samples, PIPELINE_METRICS.normalizerDeadLetters) +
      metricSum(samples, PIPELINE_METRICS.sinkDeadLetters),
    inserted: metricSum(samples, PIPELINE_METRICS.sinkRowsInserted, { table: 'trend_observations' }),
    sinkIn: metricSum(samples, PIPELINE_METRICS.sinkRecordsIn),
    signals: metricSum(samples, PIPELINE_METRICS.signalsEvents),
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
  return `tasks ${p.tasksDone}/${p.scheduled} · raw ${p.raw} · cleaned ${p.cleaned} (${p.duplicates} repeats dropped) · in ClickHouse ${p.inserted} · dead letters ${p.dead} · behind ${behind(p)} · signals ${p.signals}`
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

/**
 * What to write for a status line. On a terminal, a line that says what the one printed just
 * before it said is written over it (cursor up, clear the line), so a quiet pipeline shows one
 * line with a moving clock instead of a new line every few seconds; piped output (a log file, CI)
 * keeps every line. `previous` is the last status line printed, when nothing else came after it.
 */
export function statusText(previous: string | undefined, line: string, terminal: boolean, at: Date): string {
  const stamped = timestamped(line, at)
  return terminal && previous === line ? `\x1b[1A\x1b[2K${stamped}` : stamped
}

/** Why ClickHouse refused the migrations, in its own terms: its error name, else a code, else the message. */
export function refusalReason(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; type?: unknown }
  if (typeof failure.type === 'string' && failure.type !== '') return failure.type
  if (typeof failure.code === 'string') return failure.code
  return error instanceof Error ? error.message : String(error)
}
