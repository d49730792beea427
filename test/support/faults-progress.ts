import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin, Kafka, Topics } from '@trends/kafka'

export const STAGES = ['producer', 'normalizer', 'sink'] as const
export type Stage = (typeof STAGES)[number]

/** One reading of the pipeline: per stage, the work it has done so far and the work waiting for it. */
export interface Sample {
  /** When the reading began (what it reports happened at or before `at`, some of it after `began`). */
  began: number
  at: number
  done: Record<Stage, number>
  lag: Record<Stage, number>
}

export interface Groups {
  workers: string
  normalizer: string
  sink: string
}

/**
 * Lag of a group over topics, partition by partition. `slack` forgives that many offsets at the end
 * of each partition: a transactional topic ends with a commit marker no consumer ever commits past.
 */
async function groupLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  slack: number,
): Promise<{ committed: number; lag: number }> {
  let committed = 0
  let lag = 0
  if (topics.length === 0) return { committed, lag }
  const offsets = await admin.fetchOffsets({ groupId, topics: [...topics] })
  for (const topic of topics) {
    const byPartition = new Map((offsets.find((o) => o.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
    for (const end of await admin.fetchTopicOffsets(topic)) {
      const position = Math.max(byPartition.get(end.partition) ?? -1, Number(end.low))
      committed += position
      lag += Math.max(0, Number(end.high) - position - slack)
    }
  }
  return { committed, lag }
}

async function rawWritten(admin: Admin, topics: readonly string[]): Promise<number> {
  let total = 0
  for (const topic of topics) for (const end of await admin.fetchTopicOffsets(topic)) total += Number(end.high)
  return total
}

/**
 * Reads the pipeline's progress from Kafka every `everyMs` while the test runs: what the producer
 * wrote, what the normalizer and the sink committed, and each one's lag. A reading that fails (the
 * broker is down) is skipped; the admin client is made again after a failure.
 */
export function watchProgress(kafka: Kafka, topics: Topics, groups: Groups, everyMs = 500) {
  const samples: Sample[] = []
  let admin: Admin | undefined
  let running = true
  const read = async (): Promise<Sample> => {
    const began = Date.now()
    if (admin === undefined) {
      admin = kafka.admin()
      await admin.connect()
    }
    const existing = new Set(await admin.listTopics())
    const present = (names: readonly string[]) => names.filter((name) => existing.has(name))
    const raw = present(topics.allRaw())
    const tasks = await groupLag(admin, groups.workers, present([topics.tasks]), 0)
    const normalizer = await groupLag(admin, groups.normalizer, raw, 0)
    const cleaned = await groupLag(admin, groups.sink, present([topics.cleaned, topics.deadLetters]), 1)
    const fetchLog = await groupLag(admin, groups.sink, present([topics.fetchLog]), 0)
    return {
      began,
      at: Date.now(),
      done: { producer: await rawWritten(admin, raw), normalizer: normalizer.committed, sink: cleaned.committed + fetchLog.committed },
      lag: { producer: tasks.lag, normalizer: normalizer.lag, sink: cleaned.lag + fetchLog.lag },
    }
  }
  const loop = (async () => {
    while (running) {
      try {
        samples.push(await read())
      } catch {
        const failed = admin
        admin = undefined
        await failed?.disconnect().catch(() => undefined)
      }
      await sleep(everyMs)
    }
    await admin?.disconnect().catch(() => undefined)
  })()
  return {
    samples,
    latest: () => samples.at(-1),
    stop: async () => {
      running = false
      await loop
    },
  }
}

export type Progress = ReturnType<typeof watchProgress>

/** Waits for a reading that satisfies `done`; fails after `timeoutMs` with the last reading. */
export async function untilSample(progress: Progress, what: string, done: (s: Sample) => boolean, timeoutMs: number): Promise<Sample> {
  const deadline = Date.now() + timeoutMs
  let seen = progress.samples.length
  for (;;) {
    for (; seen < progress.samples.length; seen++) {
      const sample = progress.samples[seen]!
      if (done(sample)) return sample
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} (last: ${JSON.stringify(progress.latest())})`)
    await sleep(100)
  }
}

/**
 * Seconds from `since` until each stage moved again: its done count rose above what it was at
 * `since`. A stage that had nothing left to do (no lag, upstream settled) reads `idle`.
 */
export async function recovery(progress: Progress, since: number, timeoutMs = 180_000): Promise<Record<Stage, number | 'idle'>> {
  const base = [...progress.samples].reverse().find((s) => s.at <= since) ?? progress.samples[0]
  if (base === undefined) throw new Error('no progress reading before the fault ended')
  const result: Partial<Record<Stage, number | 'idle'>> = {}
  await untilSample(
    progress,
    'every stage moves again',
    (sample) => {
      if (sample.at < since) return false
      for (const [index, stage] of STAGES.entries()) {
        if (result[stage] !== undefined) continue
        const upstream = index === 0 ? 'idle' : result[STAGES[index - 1]!]
        if (sample.done[stage] > base.done[stage]) result[stage] = (sample.at - since) / 1000
        else if (sample.lag[stage] === 0 && upstream !== undefined) result[stage] = 'idle'
      }
      return STAGES.every((stage) => result[stage] !== undefined)
    },
    timeoutMs,
  )
  return result as Record<Stage, number | 'idle'>
}

/** Waits until nothing is waiting for any stage and no count has changed for `quietMs`. */
export async function drained(progress: Progress, timeoutMs: number, quietMs = 6000): Promise<void> {
  const key = (s: Sample) => JSON.stringify([s.done, s.lag])
  let since: Sample | undefined
  await untilSample(
    progress,
    'the pipeline has drained',
    (sample) => {
      if (STAGES.some((stage) => sample.lag[stage] > 0) || since === undefined || key(since) !== key(sample)) {
        since = sample
        return false
      }
      return sample.at - since.at >= quietMs
    },
    timeoutMs,
  )
}
