/**
 * Normalizer benchmarks, against the local stack.
 *
 * 1. Sustained throughput: raw records (real simulator items, each with its own id so none is a
 *    duplicate) through the normalizer, from a raw topic to the cleaned topic, exactly once. The
 *    ceiling, measured in the same run on the same records, is a bare kafkajs consume→produce
 *    passthrough with the same delivery machinery (transactional producer, offsets in the
 *    transaction, read_committed) and nothing in between.
 * 2. Memory: the RSS of a process that loads the normalizer (and its clients) and holds the dedup
 *    state with 1,000,000 distinct keys of the real key shape (test/bench/dedup-memory.ts).
 *
 * Targets (issue 4): throughput ≥ 0.8 × the ceiling; RSS < 300 MB with 1,000,000 keys.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { findEndpoint, legacySigningHeaders, newIdentity, upstreamParams, type PageResult } from '@trends/creative-center'
import { chunkByBytes, COMPRESSION, SEND_CHUNK_BYTES, ensureTopics, Partitioners, registerTopicSchema, topicsFor } from '@trends/kafka'
import { createRegistry, metricValue } from '@trends/metrics'
import { createNormalizer, loadNormalizerConfig } from '@trends/normalizer'
import { rawRecordValue } from '@trends/producer'
import { createSimulator } from '@trends/simulator'
import { request } from 'undici'
import { benchClients, benchTask, pageFrom } from '../support/bench.ts'

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 60_000)
const KEYS = Number(process.env['BENCH_KEYS'] ?? 1_000_000)
const { logger, kafka, registry } = benchClients()
const prefix = `bench-${randomSuffix(4)}`
const topics = topicsFor(prefix)
const rawTopic = topics.raw('hashtag')
const passthroughTopic = `${prefix}.passthrough`

// --- raw records: real item shapes from the simulator, each with its own id -----------------------
const simulator = createSimulator({ seed: 11 })
const { url } = await simulator.start()
const endpoint = findEndpoint('hashtags-legacy')
if (endpoint === undefined) throw new Error('no endpoint')
const identity = newIdentity()
const pages: PageResult[] = []
for (const country of ['US', 'GB', 'DE', 'FR']) {
  for (const page of [1, 2]) {
    const target = { endpoint, country, period: '7' }
    const params = upstreamParams(target, page, 50)
    const response = await request(`${url}${endpoint.path}?${new URLSearchParams(params).toString()}`, {
      headers: legacySigningHeaders(identity, Date.now()),
    })
    pages.push(pageFrom({ target, page, text: await response.body.text() }))
  }
}
await simulator.stop()
const task = benchTask()
await ensureTopics(kafka, [
  { topic: rawTopic, numPartitions: 3 },
  { topic: passthroughTopic, numPartitions: 6 },
])
const rawSchemaId = await registerTopicSchema(registry, rawTopic, 'tiktok.raw.record.avsc')
const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner })
await producer.connect()
const items = pages.flatMap((page) => page.items.map((item) => ({ page, item })))
for (let sent = 0; sent < RECORDS;) {
  const messages = []
  for (let i = 0; i < 2000 && sent < RECORDS; i++, sent++) {
    const { page, item } = items[sent % items.length]!
    const id = `${9_000_000_000_000 + sent}`
    const itemJson = item.raw.replace(/"hashtag_id":"[^"]*"/, `"hashtag_id":"${id}"`)
    const value = rawRecordValue(page, { ...item, raw: itemJson, id }, task, 'bench')
    messages.push({ key: value.natural_key, value: await registry.encode(rawSchemaId, value) })
  }
  await producer.send({ topic: rawTopic, acks: -1, compression: COMPRESSION, messages })
}
await producer.disconnect()

const fetchBytes = loadNormalizerConfig({ ...process.env, TOPIC_PREFIX: prefix }).maxBytesPerPartition

// --- 1a. the ceiling: a bare transactional consume→produce passthrough ----------------------------
async function passthrough(): Promise<number> {
  const groupId = `${prefix}.passthrough`
  // The same fetch size as the normalizer's (NORMALIZER_MAX_BYTES_PER_PARTITION).
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: fetchBytes })
  const out = kafka.producer({
    transactionalId: `${groupId}.tx`,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { initialRetryTime: 20, maxRetryTime: 1000, retries: 20 },
  }) // as the normalizer's
  await out.connect()
  await consumer.connect()
  await consumer.subscribe({ topic: rawTopic, fromBeginning: true })
  let done = 0
  let started = 0
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload
          if (batch.messages.length === 0) return
          if (started === 0) started = performance.now()
          const last = batch.messages.at(-1)?.offset ?? batch.lastOffset()
          const transaction = await out.transaction()
          try {
            const messages = batch.messages.map(({ key, value, headers }) => ({ key, value, headers }))
            for (const chunk of chunkByBytes(messages, SEND_CHUNK_BYTES))
              await transaction.send({ topic: passthroughTopic, compression: COMPRESSION, messages: chunk })
            await transaction.sendOffsets({
              consumerGroupId: groupId,
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }] }],
            })
            await transaction.commit()
          } catch (error) {
            await transaction.abort().catch(() => undefined)
            throw error
          }
          payload.resolveOffset(last)
          done += batch.messages.length
          if (done >= RECORDS) resolve()
        },
      })
      .catch(reject)
  })
  const seconds = (performance.now() - started) / 1000
  await consumer.disconnect()
  await out.disconnect()
  return RECORDS / seconds
}

// --- 1b. the normalizer on the same records ------------------------------------------------------
async function normalizer(): Promise<number> {
  const metrics = createRegistry('bench-normalizer')
  const config = loadNormalizerConfig({
    ...process.env,
    TOPIC_PREFIX: prefix,
    NORMALIZER_GROUP_ID: `${prefix}.normalizer`,
    NORMALIZER_TRANSACTIONAL_ID: `${prefix}.normalizer.tx`,
  })
  const service = createNormalizer({ config, logger, metrics })
  await service.start()
  // Timed from the first record consumed, as the passthrough is: start-up is not throughput.
  while ((await metricValue(metrics, 'trends_normalizer_records_in_total')) === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const started = performance.now()
  const settled = async () =>
    (await metricValue(metrics, 'trends_normalizer_records_out_total')) +
    (await metricValue(metrics, 'trends_normalizer_dedup_hits_total')) +
    (await metricValue(metrics, 'trends_normalizer_dead_letters_total'))
  while ((await settled()) < RECORDS) await new Promise((resolve) => setTimeout(resolve, 20))
  const seconds = (performance.now() - started) / 1000
  const out = await metricValue(metrics, 'trends_normalizer_records_out_total')
  await service.stop()
  if (out !== RECORDS) throw new Error(`the normalizer published ${out} of ${RECORDS} records`)
  return RECORDS / seconds
}

const ceiling = await passthrough()
const normalized = await normalizer()

// --- 2. memory with 1,000,000 keys, in a process of its own that loads the normalizer ------------
const memory = await new Promise<{ rssMb: number; keys: number }>((resolve, reject) => {
  const child = spawn(process.execPath, ['--expose-gc', path.join(import.meta.dirname, 'dedup-memory.ts'), String(KEYS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.once('error', reject)
  child.once('exit', (code) =>
    code === 0 ? resolve(JSON.parse(out) as { rssMb: number; keys: number }) : reject(new Error(`dedup-memory exited ${code}`)),
  )
})
const rssMb = memory.rssMb

const admin = kafka.admin()
await admin.connect()
await admin
  .deleteTopics({
    topics: [rawTopic, passthroughTopic, topics.cleaned, topics.deadLetters, ...topics.allRaw().filter((t) => t !== rawTopic)],
  })
  .catch(() => undefined)
await admin.disconnect()

const results = {
  'normalizer.records_per_s': Math.round(normalized),
  'normalizer.passthrough_ceiling_records_per_s': Math.round(ceiling),
  'normalizer.ratio_to_ceiling': Number((normalized / ceiling).toFixed(3)),
  'normalizer.ratio_target': 0.8,
  'normalizer.dedup_keys': memory.keys,
  'normalizer.rss_mb_with_keys': Math.round(rssMb),
  'normalizer.rss_target_mb': 300,
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
process.stdout.write(
  `throughput: ${results['normalizer.records_per_s']} records/s = ${results['normalizer.ratio_to_ceiling']} × the passthrough's ${results['normalizer.passthrough_ceiling_records_per_s']} (target ≥ 0.8) ${normalized / ceiling >= 0.8 ? 'MET' : 'NOT MET'}\n` +
    `memory: ${results['normalizer.rss_mb_with_keys']} MB RSS with ${memory.keys} dedup keys (target < 300) ${rssMb < 300 ? 'MET' : 'NOT MET'}\n`,
)
