import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import path from 'node:path'
import { naturalKey } from '@trends/creative-center'
import { createRegistry } from '@trends/metrics'
import { createApp, loadProducerConfig, topicsFor } from '@trends/producer'
import { defer, testLogger } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { countRecords, expectedItems, producerEnv, readAll, stackClients, waitForRecords } from '../support/raw-topics.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/producer/src/main.ts')
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'JP', 'BR', 'CA', 'AU', 'MX', 'ID']

// At-least-once: a worker killed mid-task never committed that task's offset, so once the group
// notices it is gone, the other worker runs the task again. Every item arrives; some may twice;
// tasks finished before the kill are not run again.
test('killing a worker mid-run loses no task', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = { charts: [{ endpoint: 'creators-legacy', countries: COUNTRIES, maxPages: 4, pageSize: 20 }] }
  const env = producerEnv(simulator.url, matrix, { WORKER_SESSION_TIMEOUT: '6000ms' })
  const config = loadProducerConfig(env)
  const topics = topicsFor(config.topicPrefix)
  const expected = await expectedItems(simulator.url, config.charts, naturalKey)
  assert.equal(expected.size, COUNTRIES.length * 80)
  const { kafka, registry } = stackClients()

  // Every page now takes 250 ms, so a task (four pages) is long enough to be cut in the middle.
  await simulator.fault({ fault: 'slow-headers', delayMs: 250 })
  // The victim starts alone so that it takes tasks; once it has published part of a task (a task
  // is four pages of 20), the second worker starts and the victim is killed.
  const victim = startServiceProcess(t, MAIN, ['worker'], env)
  const scheduler = createApp({ config, role: 'scheduler', logger: testLogger('scheduler'), metrics: createRegistry('scheduler') })
  defer(t, () => scheduler.stop())
  await scheduler.start()
  const victimId = `${hostname()}/${victim.pid}`
  // Two tasks finished and a third begun (a task is 80 records). Counted by task, not by records: a
  // victim that redoes a task of its own (its heartbeat late under load) writes more records per task.
  const deadline = Date.now() + 90_000
  for (;;) {
    await waitForRecords(kafka, topics.allRaw(), 2 * 80 + 1, 90_000)
    const sofar = await readAll(kafka, registry, topics.allRaw())
    const begun = new Set(sofar.map(taskOf))
    if (tasksWithAllItems(sofar).size >= 2 && begun.size > tasksWithAllItems(sofar).size) break
    if (Date.now() > deadline) assert.fail(`the victim did not finish two tasks within 90 s (${begun.size} begun)`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const survivor = startServiceProcess(t, MAIN, ['worker'], env)
  const before = await readAll(kafka, registry, topics.allRaw())
  assert.ok(before.length > 0 && before.every((record) => record.headers['worker'] === victimId), 'the victim was at work')
  const finishedBefore = tasksWithAllItems(before)
  assert.ok(finishedBefore.size >= 2, `the victim had finished ${finishedBefore.size} tasks`)
  victim.kill('SIGKILL')
  await new Promise((resolve) => victim.once('exit', resolve))
  const atKill = await countRecords(kafka, topics.allRaw())
  assert.ok(atKill < expected.size, `killed mid-run (${atKill} of ${expected.size} records written)`)
  assert.equal(survivor.exitCode, null, 'the other worker keeps running')

  // Wait until every expected key has arrived (the redone task may add duplicates on top).
  const until = Date.now() + 180_000
  let keys = new Set<string>()
  let records: Awaited<ReturnType<typeof readAll>> = []
  while (Date.now() < until) {
    await waitForRecords(kafka, topics.allRaw(), expected.size, 180_000)
    records = await readAll(kafka, registry, topics.allRaw())
    keys = new Set(records.map((record) => record.key))
    if (keys.size >= expected.size) break
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  assert.equal(keys.size, expected.size, 'every item of every task arrived')
  for (const record of records) assert.equal(record.value['item_json'], expected.get(record.key))
  // The victim's unfinished task was run again by the survivor: its items arrived more than once.
  assert.ok(records.length > expected.size, `${records.length - expected.size} records repeated by the redone task`)
  assert.ok(
    records.some((record) => record.headers['worker'] === victimId) && records.some((record) => record.headers['worker'] !== victimId),
  )
  // Each task's offset is committed when it is done, so only the task in flight is run again.
  const byBoth = new Set(
    records.filter((record) => record.headers['worker'] !== victimId && victimTasks(records, victimId).has(taskOf(record))).map(taskOf),
  )
  assert.equal(byBoth.size, 1, `tasks run by both workers: ${[...byBoth].join(', ')}`)
  for (const task of finishedBefore) assert.ok(!byBoth.has(task), `a task the victim had finished was run again: ${task}`)
})

type RawRecords = Awaited<ReturnType<typeof readAll>>
const taskOf = (record: RawRecords[number]) => String(record.value['task_id'])
const victimTasks = (records: RawRecords, victimId: string) =>
  new Set(records.filter((record) => record.headers['worker'] === victimId).map(taskOf))

/** Tasks whose 80 items have all been published. */
function tasksWithAllItems(records: RawRecords): Set<string> {
  const items = new Map<string, Set<string>>()
  for (const record of records) {
    const task = taskOf(record)
    const keys = items.get(task) ?? new Set<string>()
    keys.add(record.key)
    items.set(task, keys)
  }
  return new Set([...items].filter(([, keys]) => keys.size === 80).map(([task]) => task))
}
