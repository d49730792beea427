import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry'
import { TrendsError } from '@trends/core'
import type { RegistrySettings } from './config.ts'

export { SchemaRegistry, SchemaType, COMPATIBILITY }

export function createSchemaRegistry(settings: RegistrySettings): SchemaRegistry {
  const auth =
    settings.username !== undefined && settings.password !== undefined
      ? { username: settings.username, password: settings.password }
      : undefined
  return new SchemaRegistry({ host: settings.url, ...(auth === undefined ? {} : { auth }) })
}

/** Registers an Avro schema under `subject` with BACKWARD compatibility; returns its registry id. */
export async function registerAvroSchema(registry: SchemaRegistry, subject: string, schema: object): Promise<number> {
  try {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    )
    return id
  } catch (error) {
    const name = error instanceof Error ? error.name : ''
    if (name === 'ConfluentSchemaRegistryCompatibilityError' || /incompatible/i.test(String(error))) {
      throw new TrendsError('SCHEMA_INCOMPATIBLE', `schema for subject ${subject} is not BACKWARD compatible`, {
        cause: error,
      })
    }
    throw new TrendsError('SCHEMA_REGISTRY_UNAVAILABLE', `could not register a schema for subject ${subject}`, {
      retryable: true,
      cause: error,
    })
  }
}
