import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import { registerAvroSchema } from './registry.ts'

/** The repository's `schemas/` folder, where every Avro schema (.avsc) lives. */
export const SCHEMAS_DIR = path.resolve(import.meta.dirname, '../../../schemas')

export function readAvroSchema(file: string): object {
  return JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as object
}

/** Registers a schema file under `<topic>-value` (BACKWARD) and returns its id. */
export function registerTopicSchema(registry: SchemaRegistry, topic: string, file: string): Promise<number> {
  return registerAvroSchema(registry, `${topic}-value`, readAvroSchema(file))
}
