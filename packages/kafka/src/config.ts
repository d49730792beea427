import type { EnvReader } from '@trends/core'

export interface KafkaSettings {
  brokers: string[]
  clientId: string
  ssl: boolean
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
}

export interface RegistrySettings {
  url: string
  /** How long one registry request may go without an answer before it fails (and is retried). */
  requestTimeoutMs: number
  username?: string
  password?: string
}

/** The local stack's defaults; every service reads the same variable names. */
export const DEFAULT_BROKERS = ['127.0.0.1:9092']
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7'

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

/** KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD. */
export function readKafkaSettings(env: EnvReader, clientId: string): KafkaSettings {
  const settings: KafkaSettings = {
    brokers: env.list('KAFKA_BROKERS', DEFAULT_BROKERS),
    clientId: env.string('KAFKA_CLIENT_ID', clientId),
    ssl: env.boolean('KAFKA_SSL', false),
  }
  const mechanism = env.optionalString('KAFKA_SASL_MECHANISM')?.toLowerCase()
  if (mechanism !== undefined) {
    const known = SASL_MECHANISMS.find((m) => m === mechanism)
    const username = env.optionalString('KAFKA_SASL_USERNAME')
    const password = env.optionalString('KAFKA_SASL_PASSWORD')
    if (known === undefined || username === undefined || password === undefined) {
      env.problem(
        `KAFKA_SASL_MECHANISM: set one of ${SASL_MECHANISMS.join(', ')} together with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
      )
    } else {
      settings.sasl = { mechanism: known, username, password }
    }
  }
  return settings
}

/** SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_TIMEOUT, SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD. */
export function readRegistrySettings(env: EnvReader): RegistrySettings {
  const settings: RegistrySettings = {
    url: env.url('SCHEMA_REGISTRY_URL', DEFAULT_REGISTRY_URL),
    requestTimeoutMs: env.duration('SCHEMA_REGISTRY_TIMEOUT', '10s', { min: '100ms', max: '5m' }),
  }
  const username = env.optionalString('SCHEMA_REGISTRY_USERNAME')
  const password = env.optionalString('SCHEMA_REGISTRY_PASSWORD')
  if (username !== undefined) settings.username = username
  if (password !== undefined) settings.password = password
  return settings
}
