import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { createKafka, createSchemaRegistry, readKafkaSettings, readRegistrySettings, registerAvroSchema, type Kafka } from '@trends/kafka'
import { testLogger } from '@trends/testing'
import { isolatedStackEnv, runStack } from './cli.ts'

const SCHEMA = { type: 'record', name: 'Probe', fields: [{ name: 'n', type: 'int' }] }

async function countMessages(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  } finally {
    await admin.disconnect()
  }
}

// A second stack on its own ports and data folder: up from nothing (format included), status,
// down, and up again with Kafka's records and the registry's schemas still there.
test('stack up, status, down and up again keep Kafka records and registry schemas', { timeout: 600_000 }, async (t) => {
  const env = await isolatedStackEnv(t)
  const clientEnv = readEnv({
    KAFKA_BROKERS: `127.0.0.1:${env.STACK_KAFKA_PORT}`,
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${env.STACK_REGISTRY_PORT}/apis/ccompat/v7`,
  })
  const kafka = createKafka(readKafkaSettings(clientEnv, 'lifecycle-test'), { logger: testLogger() })
  const registry = createSchemaRegistry(readRegistrySettings(clientEnv))

  const first = await runStack(['up'], env)
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /^kafka\s+started\s+pid \d+/m)
  assert.match(first.stdout, /^registry\s+started\s+pid \d+/m)
  assert.match(first.stderr, /formatted Kafka storage/)

  const again = await runStack(['up'], env)
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /^kafka\s+already running/m)
  assert.match(again.stdout, /^registry\s+already running/m)

  const status = await runStack(['status'], env)
  assert.equal(status.code, 0, status.stdout)
  assert.match(status.stdout, new RegExp(`^kafka\\s+ready\\s+pid \\d+\\s+127\\.0\\.0\\.1:${env.STACK_KAFKA_PORT}`, 'm'))
  assert.match(
    status.stdout,
    new RegExp(`^registry\\s+ready\\s+pid \\d+\\s+http://127\\.0\\.0\\.1:${env.STACK_REGISTRY_PORT}/apis/ccompat/v7`, 'm'),
  )

  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  await producer.send({ topic: 'lifecycle', acks: -1, messages: [{ value: '1' }, { value: '2' }, { value: '3' }] })
  await producer.disconnect()
  const schemaId = await registerAvroSchema(registry, 'lifecycle-value', SCHEMA)

  const down = await runStack(['down'], env)
  assert.equal(down.code, 0, down.stderr)
  assert.match(down.stdout, /^registry\s+(stopped|killed)/m)
  assert.match(down.stdout, /^kafka\s+(stopped|killed)/m)
  const stopped = await runStack(['status'], env)
  assert.equal(stopped.code, 3)
  assert.match(stopped.stdout, /^kafka\s+stopped/m)
  assert.match(stopped.stdout, /^registry\s+stopped/m)

  const restarted = await runStack(['up'], env)
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.doesNotMatch(restarted.stderr, /formatted Kafka storage/)
  assert.equal(await countMessages(kafka, 'lifecycle'), 3)
  assert.equal(await registry.getLatestSchemaId('lifecycle-value'), schemaId)
  const fresh = createSchemaRegistry(readRegistrySettings(clientEnv))
  assert.equal(((await fresh.getSchema(schemaId)) as { name?: string }).name, 'Probe')
})
