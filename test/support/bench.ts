import { readEnv } from '@trends/core'
import { createKafka, createSchemaRegistry, readKafkaSettings, readRegistrySettings } from '@trends/kafka'
import { createLogger } from '@trends/logger'

/** What every benchmark against the local stack starts with: a quiet logger, Kafka and the registry. */
export function benchClients() {
  const logger = createLogger({ service: 'bench', level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' })
  const env = readEnv(process.env)
  const kafkaSettings = readKafkaSettings(env, 'bench')
  const registrySettings = readRegistrySettings(env)
  env.done()
  return { logger, kafka: createKafka(kafkaSettings, { logger }), registry: createSchemaRegistry(registrySettings) }
}
