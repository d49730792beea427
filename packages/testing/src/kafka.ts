import { randomSuffix, readEnv } from '@trends/core'
import {
  createKafka,
  createSchemaRegistry,
  readKafkaSettings,
  readRegistrySettings,
  type Admin,
  type Consumer,
  type Kafka,
  type Producer,
  type SchemaRegistry,
  type ConsumerConfig,
  type ProducerConfig,
} from '@trends/kafka'
import { defer, testLogger, type Cleanup } from './context.ts'

/** A client for the stack the tests run against (KAFKA_BROKERS, or the local stack's default). */
export function useKafka(): Kafka {
  const env = readEnv(process.env)
  const settings = readKafkaSettings(env, `test-${randomSuffix(3)}`)
  env.done()
  return createKafka(settings, { logger: testLogger('kafka') })
}

export async function useAdmin(t: Cleanup, kafka = useKafka()): Promise<Admin> {
  const admin = kafka.admin()
  await admin.connect()
  defer(t, () => admin.disconnect())
  return admin
}

export async function useProducer(t: Cleanup, config: ProducerConfig = {}, kafka = useKafka()): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, ...config })
  await producer.connect()
  defer(t, () => producer.disconnect())
  return producer
}

export async function useConsumer(t: Cleanup, config: ConsumerConfig, kafka = useKafka()): Promise<Consumer> {
  const consumer = kafka.consumer(config)
  await consumer.connect()
  defer(t, () => consumer.disconnect())
  return consumer
}

/** Creates `test.<label>.<random>` and deletes it after the test. */
export async function freshTopic(t: Cleanup, label: string, partitions = 1): Promise<string> {
  const topic = `test.${label}.${randomSuffix()}`
  const kafka = useKafka()
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
  defer(t, async () => {
    const cleanup = kafka.admin()
    await cleanup.connect()
    try {
      await cleanup.deleteTopics({ topics: [topic] })
    } finally {
      await cleanup.disconnect()
    }
  })
  return topic
}

export function freshGroupId(label: string): string {
  return `test.${label}.${randomSuffix()}`
}

export function useRegistry(): SchemaRegistry {
  const env = readEnv(process.env)
  const settings = readRegistrySettings(env)
  env.done()
  return createSchemaRegistry(settings)
}

export function freshSubject(label: string): string {
  return `test.${label}.${randomSuffix()}-value`
}
