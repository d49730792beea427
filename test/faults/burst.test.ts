import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { LEGACY_COUNTRIES } from '@trends/creative-center'
import { startFaultPipeline, type Service } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'
import { STAGES, type Sample, type Stage } from '../support/faults-progress.ts'

/** The steady rate of the fault suite (pages a second) and the burst's, ten times it. */
const STEADY = 1.6
const BURST = 16
/**
 * Resident memory each process stays under through the burst (the README's bounds): 512 MiB for a
 * pipeline service, 1 GiB for the served store (the ClickHouse engine, its caches and its merges;
 * 560 MiB measured at the burst's end, from 320 MiB at its start).
 */
const RSS_BOUND_MIB: Record<Service | 'clickhouse', number> = {
  scheduler: 512,
  worker: 512,
  normalizer: 512,
  sink: 512,
  clickhouse: 1024,
}

// 34 countries × 3 orders × 10 pages: about a minute of pages at the burst's rate.
const CHARTS = ['follower', 'engagement', 'avg_views'].map((sort) => ({
  endpoint: 'creators-legacy',
  countries: LEGACY_COUNTRIES.slice(0, 34),
  filters: { sort_by: sort },
  maxPages: 10,
}))

function rssMiB(pid: number): number | undefined {
  try {
    const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return line === null ? undefined : Number(line[1]) / 1024
  } catch {
    return undefined
  }
}

/**
 * From the burst on: the most records waiting for each stage at once, and the seconds from the last
 * raw record written (the burst's end) until nothing waits for any stage.
 */
function catchUp(samples: readonly Sample[], since: number): { peakLag: Record<Stage, number>; caughtUpS: number } {
  const during = samples.filter((sample) => sample.at >= since)
  const peakLag = Object.fromEntries(STAGES.map((stage) => [stage, Math.max(0, ...during.map((s) => s.lag[stage]))])) as Record<
    Stage,
    number
  >
  const last = during.findLastIndex((sample, index) => index > 0 && sample.done.producer > during[index - 1]!.done.producer)
  assert.ok(last >= 0, 'the producer wrote during the burst')
  const drained = during.slice(last).find((sample) => STAGES.every((stage) => sample.lag[stage] === 0))
  assert.ok(drained !== undefined, 'the lag went back to 0 after the burst')
  return { peakLag, caughtUpS: (drained.at - during[last]!.at) / 1000 }
}

// The upstream's pages arrive ten times as fast as in steady running for about a minute (a worker
// polling at 16 pages a second takes over from the one at 1.6): every stage keeps up or catches
// up, no service's memory grows past its bound, the lag goes back to 0, and nothing is lost.
test('fault burst: ten times the steady rate for a minute', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'burst', {
    ratePerSecond: STEADY,
    // As trends run serves it: the store in a process of its own, so each process's memory is its own.
    servedStore: true,
    env: { POLL_MATRIX: JSON.stringify({ charts: CHARTS }) },
  })
  const peak = new Map<Service | 'clickhouse', number>()
  const timeline: string[] = []
  let tick = 0
  const sampler = setInterval(() => {
    const now: string[] = []
    const processes: Array<[number | undefined, Service | 'clickhouse']> = [
      ...run
        .children()
        .map(([child, service]): [number | undefined, Service] => [child.exitCode === null ? child.pid : undefined, service]),
      [run.store?.pid(), 'clickhouse'],
    ]
    for (const [pid, service] of processes) {
      const rss = pid === undefined ? undefined : rssMiB(pid)
      if (rss !== undefined) peak.set(service, Math.max(peak.get(service) ?? 0, rss))
      if (rss !== undefined) now.push(`${service} ${Math.round(rss)}`)
    }
    if (tick++ % 20 === 0) timeline.push(`${Math.round(tick / 4)}s ${now.join(' ')}`)
  }, 250)
  t.after(() => clearInterval(sampler))

  await run.untilRaw(1000)
  const [steady] = run.children().filter(([, service]) => service === 'worker')
  run.start('worker', { CC_RATE_PER_SECOND: String(BURST), CC_BURST: String(BURST) })
  await run.untilMembers(run.groups.workers, 2)
  await run.stop(steady![0])
  const began = run.progress.latest()!
  await run.untilMembers(run.groups.workers, 1)
  const count = await run.finish(await run.recovered(Date.now()))
  clearInterval(sampler)

  const pages = count.detail.fetchLog.rows
  const peaks = [...peak].map(([service, mib]) => `${service} ${Math.round(mib)} MiB`).join(', ')
  const { peakLag, caughtUpS } = catchUp(run.progress.samples, began.at)
  const line =
    `fault burst: ${pages} pages at up to ${BURST}/s after ${began.done.producer} raw records at ${STEADY}/s; peak RSS ${peaks}; ` +
    `peak lag ${STAGES.map((stage) => `${stage} ${peakLag[stage]}`).join(', ')}; lag 0 ${caughtUpS.toFixed(1)}s after the last raw record`
  process.stdout.write(`${line}\n`)
  for (const [service, mib] of peak) {
    const bound = RSS_BOUND_MIB[service]
    assert.ok(mib < bound, `${service} peaked at ${Math.round(mib)} MiB (bound ${bound} MiB); MiB every 5 s: ${timeline.join(' | ')}`)
  }
  assert.deepEqual([...peak.keys()].sort(), ['clickhouse', 'normalizer', 'scheduler', 'sink', 'worker'], 'every service was measured')
})
