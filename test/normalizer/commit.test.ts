import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { randomSuffix, readEnv } from '@trends/core'
import { createKafka, readKafkaSettings, readTopic } from '@trends/kafka'
import { createLogger } from '@trends/logger'
import { createGroupCommitter, transactionalProducer } from '@trends/normalizer'
import { defer, freshGroupId, freshTopic, useAdmin } from '@trends/testing'
import { fillRawTopics, startNormalizer, waitForCommitted } from '../support/pipeline.ts'
import { countRecords } from '../support/raw-topics.ts'
import { useSimulator } from '../support/simulator.ts'

const ROUNDS = 240
const PARTITIONS = 3

/** A kafkajs client whose log lines (debug included) are kept, to count the broker's answers. */
function loggedKafka(lines: string[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  const env = readEnv(process.env)
  const settings = readKafkaSettings(env, `test-commit-${randomSuffix(3)}`)
  env.done()
  return createKafka(settings, { logger: createLogger({ service: 'commit-test', level: 'debug', destination }) })
}

// Back-to-back transactions, as the normalizer runs them under load: the coordinator is still
// writing the last commit's markers when the next transaction's first request arrives, and answers
// CONCURRENT_TRANSACTIONS. Every other round commits offsets only (a batch of duplicates), whose
// first request is AddOffsetsToTxn — which kafkajs does not retry at all.
test('back-to-back group commits, half of them offsets only: every one commits, none fails on CONCURRENT_TRANSACTIONS', async (t) => {
  const input = await freshTopic(t, 'commit-in', PARTITIONS)
  const output = await freshTopic(t, 'commit-out', 3)
  const dead = await freshTopic(t, 'commit-dead')
  const groupId = freshGroupId('commit')
  const lines: string[] = []
  const kafka = loggedKafka(lines)
  const transactionalId = `test.commit.${randomSuffix()}`
  const retries: string[] = []
  const committer = createGroupCommitter(() => transactionalProducer(kafka, transactionalId), output, dead, groupId, {
    onRetry: (reason) => retries.push(reason),
  })
  await committer.connect()
  defer(t, () => committer.close())

  const failures: string[] = []
  const started = Date.now()
  for (let round = 0; round < ROUNDS; round++) {
    const withRecord = round % 2 === 0
    await committer
      .commit({
        cleaned: withRecord ? [{ key: `k${round}`, value: Buffer.from(`v${round}`), headers: {} }] : [],
        dead: [],
        topic: input,
        partition: round % PARTITIONS,
        nextOffset: String(round + 1),
      })
      .catch((error: unknown) => failures.push((error as { type?: string }).type ?? (error as Error).name))
  }
  const elapsed = Date.now() - started
  const answers = lines.filter((line) => line.includes('concurrent operation on the same transaction')).length
  const warnings = lines.filter(
    (line) => /"level":"(warn|error)"/.test(line) && /concurrent operation|CONCURRENT_TRANSACTIONS|Failed to send/i.test(line),
  ).length
  t.diagnostic(
    `${ROUNDS} commits in ${elapsed} ms: ${failures.length} failed, ${answers} CONCURRENT_TRANSACTIONS answers, ` +
      `${retries.length} retried by the committer, ${warnings} warn/error lines about them`,
  )

  assert.deepEqual(failures, [], 'no commit failed')
  assert.equal(warnings, 0, 'no warning: a retried CONCURRENT_TRANSACTIONS is normal running')
  assert.ok(retries.every((reason) => reason === 'CONCURRENT_TRANSACTIONS'))
  const keys: string[] = []
  await readTopic(kafka, output, ({ message }) => void keys.push(message.key?.toString() ?? ''), { readCommitted: true })
  assert.equal(keys.length, ROUNDS / 2, 'every record committed once')
  assert.equal(new Set(keys).size, ROUNDS / 2)
  const admin = await useAdmin(t)
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] })
  const expected = Array.from({ length: PARTITIONS }, (_, partition) => ({
    partition,
    offset: String(ROUNDS - PARTITIONS + partition + 1),
  }))
  assert.deepEqual(
    offsets?.partitions.map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition),
    expected,
    'every offset committed with its transaction',
  )
})

// A transaction the coordinator aborted under the producer (it outlived its timeout; a broker
// restart mid-commit does the same): EndTxn is refused and kafkajs keeps the producer in COMMITTING,
// from where it refuses every later transaction. The committer gives that producer up for a new one.
test(
  'a transaction aborted by the coordinator fails its batch only: the next one commits on a new producer',
  { timeout: 120_000 },
  async (t) => {
    const input = await freshTopic(t, 'commit-in')
    const output = await freshTopic(t, 'commit-out')
    const dead = await freshTopic(t, 'commit-dead')
    const groupId = freshGroupId('commit')
    const kafka = loggedKafka([])
    const transactionalId = `test.commit.${randomSuffix()}`
    let held = false
    let producers = 0
    const committer = createGroupCommitter(
      () => {
        producers++
        // Out of time after 1 s; the coordinator looks for such transactions every 10 s.
        const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 1000 })
        const transaction = producer.transaction.bind(producer)
        return Object.assign(producer, {
          transaction: async () => {
            const open = await transaction()
            if (held) return open
            held = true
            const commit = open.commit.bind(open)
            return Object.assign(open, {
              commit: async () => {
                await new Promise((resolve) => setTimeout(resolve, 13_000))
                return commit()
              },
            })
          },
        })
      },
      output,
      dead,
      groupId,
    )
    await committer.connect()
    defer(t, () => committer.close())
    const batch = (n: number) => ({
      cleaned: [{ key: `k${n}`, value: Buffer.from(`v${n}`), headers: {} }],
      dead: [],
      topic: input,
      partition: 0,
      nextOffset: String(n + 1),
    })

    const first = await committer.commit(batch(0)).then(
      () => 'committed',
      (error: unknown) => (error as { type?: string }).type ?? (error as Error).name,
    )
    const after = []
    for (let n = 1; n <= 3; n++)
      after.push(
        await committer.commit(batch(n)).then(
          () => 'committed',
          (error: unknown) => (error as Error).message,
        ),
      )
    t.diagnostic(`held transaction: ${first}; then ${after.join(', ')}; ${producers} producers`)
    assert.notEqual(first, 'committed', 'the coordinator aborted the held transaction')
    assert.deepEqual(after, ['committed', 'committed', 'committed'])
    assert.equal(producers, 2, 'one new producer after the failed transaction')
    const keys: string[] = []
    await readTopic(kafka, output, ({ message }) => void keys.push(message.key?.toString() ?? ''), { readCommitted: true })
    assert.deepEqual(keys.sort(), ['k1', 'k2', 'k3'], 'the aborted batch is not in the topic; the rest once each')
    const admin = await useAdmin(t)
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] })
    assert.equal(offsets?.partitions[0]?.offset, '4')
  },
)

// The raw topics are written without transactions, but the lag is taken from the batch's last
// offset with markers included, so either way a drained partition reads 0, in /readyz and the gauge.
test(
  'a drained normalizer reads lag 0 on every raw partition it consumed, and /readyz has nothing to say',
  { timeout: 180_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const matrix = { charts: [{ endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2 }] }
    const { env, topics, kafka, registry } = await fillRawTopics(t, simulator.url, matrix)
    const expected = await countRecords(kafka, topics.allRaw())
    const { normalizer, metrics } = await startNormalizer(t, env, { DEDUP_MAX_KEYS_PER_SHARD: '1' })
    await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= expected, 120_000)
    const gauge = metrics.getSingleMetric('trends_normalizer_consumer_lag')
    const deadline = Date.now() + 10_000
    let values = (await gauge?.get())?.values ?? []
    while (values.some((entry) => entry.value !== 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      values = (await gauge?.get())?.values ?? []
    }
    t.diagnostic(
      `${expected} raw records; lag ${values.map((entry) => `${entry.labels['topic']}/${entry.labels['partition']}=${entry.value}`).join(' ')}`,
    )
    assert.ok(values.length >= 1, 'the gauge has a series per partition consumed')
    assert.deepEqual(
      values.map((entry) => entry.value),
      values.map(() => 0),
    )
    assert.equal(normalizer.conditions['consumer:normalizer'](), undefined)
  },
)

// Transactions that keep failing while records wait: /readyz names the partitions and the failure
// (here the cleaned topic deleted under the normalizer: every send is refused), and is clear again
// once transactions commit.
test(
  'transactions failing with records waiting: the stall names the partitions and the failure, then clears',
  { timeout: 240_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const matrix = { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], maxPages: 2 }] }
    const { env, topics, kafka, registry, runAll } = await fillRawTopics(t, simulator.url, matrix)
    const first = await countRecords(kafka, topics.allRaw())
    const { normalizer } = await startNormalizer(t, env, { NORMALIZER_DEDUP: 'false', CONSUMER_STALL_AFTER: '2s' })
    await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= first, 60_000)
    const admin = await useAdmin(t)
    await admin.deleteTopics({ topics: [topics.cleaned] })
    await runAll()
    const problem = () => normalizer.conditions['consumer:normalizer']()
    const deadline = Date.now() + 120_000
    let seen = problem()
    while (!(seen ?? '').includes('transaction failing') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      seen = problem()
    }
    t.diagnostic(`/readyz with the cleaned topic gone: ${seen}`)
    assert.match(seen ?? '', /^stalled: lag \d+ on [^ ]+\.raw\.hashtags [\d,]+, no progress for \d+s; transaction failing: [A-Z_]+$/)

    await admin.createTopics({ topics: [{ topic: topics.cleaned, numPartitions: 6 }], waitForLeaders: true })
    const cleared = Date.now() + 120_000
    while (problem() !== undefined && Date.now() < cleared) await new Promise((resolve) => setTimeout(resolve, 250))
    assert.equal(problem(), undefined, 'ready again once a transaction commits')
    const records = await waitForCommitted(kafka, registry, topics.cleaned, (committed) => committed.length >= first, 60_000)
    assert.equal(records.length, first, 'the second pass, each record once, in the new topic')
  },
)
