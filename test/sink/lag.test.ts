import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomSuffix } from '@trends/core'
import type { Producer } from '@trends/kafka'
import type { Registry } from '@trends/metrics'
import { useAdmin, useProducer } from '@trends/testing'
import { stackClients } from '../support/raw-topics.ts'
import { cleanedRecord, freshSinkDatabase, freshSinkTopics, sinkEnv, startSink, waitForNumber } from '../support/sink.ts'

const PARTITIONS = 6
const PER_PARTITION = 20

async function lagByPartition(metrics: Registry): Promise<Record<string, number>> {
  const gauge = metrics.getSingleMetric('trends_sink_consumer_lag')
  const values = (await gauge?.get())?.values ?? []
  return Object.fromEntries(values.map((entry) => [String(entry.labels['partition']), entry.value]))
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await read()
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    value = await read()
  }
  return value
}

// The cleaned topic is written in transactions, so each partition ends with a commit or abort
// marker: an offset no consumer is handed. A partition whose last records are an aborted
// transaction and the markers around it gives the sink a fetch with nothing to take — kafkajs never
// calls eachBatch for it — yet its lag must go from "the open transaction" to exactly 0.
test('the sink lag reads exactly 0 once the transactional cleaned topic is drained, aborted transactions and markers included', async (t) => {
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  const { registry } = stackClients()
  const { client, database } = await freshSinkDatabase(t)
  const transactional = (label: string) =>
    useProducer(t, { transactionalId: `test.lag.${label}.${randomSuffix()}`, idempotent: true, maxInFlightRequests: 1 })
  let next = 0
  /** A transaction with PER_PARTITION records on every partition, left open. */
  const opened = async (producer: Producer) => {
    const transaction = await producer.transaction()
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const messages = await Promise.all(
        Array.from({ length: PER_PARTITION }, async () => {
          const record = cleanedRecord(next++)
          return { key: record.natural_key, value: await registry.encode(cleanedSchemaId, record), partition }
        }),
      )
      await transaction.send({ topic: topics.cleaned, messages })
    }
    return transaction
  }
  const first = await transactional('first')
  const second = await transactional('second')
  await (await opened(first)).commit()

  const { metrics } = await startSink(t, sinkEnv(prefix, database), client)
  const perBatch = PARTITIONS * PER_PARTITION
  await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= perBatch)

  // `second` commits a transaction begun before `first`'s next one, which stays open: the sink
  // takes `second`'s records, and `first`'s open ones (and `second`'s marker after them) are ahead.
  const committed = await opened(second)
  const pending = await opened(first)
  await committed.commit()
  await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= 2 * perBatch)
  const behind = await until(
    () => lagByPartition(metrics),
    (lag) => Object.values(lag).every((records) => records > 0),
    10_000,
  )
  t.diagnostic(`lag with an open transaction ahead: ${JSON.stringify(behind)}`)

  await pending.abort()
  const records = await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= 2 * perBatch)
  const drained = await until(
    () => lagByPartition(metrics),
    (lag) => Object.keys(lag).length === PARTITIONS && Object.values(lag).every((records) => records === 0),
    10_000,
  )
  const admin = await useAdmin(t)
  const ends = await admin.fetchTopicOffsets(topics.cleaned)
  t.diagnostic(`high watermarks ${ends.map((end) => end.high).join(',')} for ${records} records; lag then ${JSON.stringify(drained)}`)
  assert.equal(records, 2 * perBatch, 'the committed records, each once; none of the aborted ones')
  for (const end of ends) assert.ok(Number(end.high) > 3 * PER_PARTITION, 'markers take offsets: the end is past the records')
  assert.deepEqual(drained, Object.fromEntries(Array.from({ length: PARTITIONS }, (_, partition) => [String(partition), 0])))
})
