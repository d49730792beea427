import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import { checkAvroBounds, type AvroShape } from './avro-bounds.ts'

interface AvroType extends AvroShape {
  toBuffer(value: unknown): Buffer
  fromBuffer(buffer: Buffer): unknown
}

const ERROR_CLASSES = {
  'not-framed': 'NOT_CONFLUENT_AVRO',
  'unknown-schema': 'UNKNOWN_SCHEMA_ID',
  'bad-body': 'AVRO_DECODE_FAILED',
} as const

/** Thrown by AvroCodec.decode; `reason` says which of the three ways it failed. */
export class AvroFrameError extends Error {
  readonly reason: keyof typeof ERROR_CLASSES
  constructor(reason: AvroFrameError['reason'], message: string) {
    super(message)
    this.name = 'AvroFrameError'
    this.reason = reason
  }

  /** The dead letter's error class for it, the same in every stage. */
  get errorClass(): (typeof ERROR_CLASSES)[keyof typeof ERROR_CLASSES] {
    return ERROR_CLASSES[this.reason]
  }
}

/** The schema id of a Confluent-framed value (magic byte 0, 4-byte id), or undefined. */
export function framedSchemaId(value: Buffer | null): number | undefined {
  return value === null || value.length < 5 || value.readUInt8(0) !== 0 ? undefined : value.readUInt32BE(1)
}

/**
 * Confluent-framed Avro without a promise per record: `load` fetches the schemas a batch needs
 * (once per id, through the registry client and its cache), then `decode` and `encode` run
 * synchronously. An id the registry does not know is remembered as unknown.
 */
export class AvroCodec {
  readonly #registry: SchemaRegistry
  readonly #types = new Map<number, AvroType | null>()

  constructor(registry: SchemaRegistry) {
    this.#registry = registry
  }

  async load(ids: Iterable<number>): Promise<void> {
    for (const id of ids) {
      if (this.#types.has(id)) continue
      try {
        this.#types.set(id, (await this.#registry.getSchema(id)) as unknown as AvroType)
      } catch (error) {
        // Only a definite "not found" is remembered; anything else (the registry down) is thrown.
        if (!/404|not found|40403/i.test(error instanceof Error ? error.message : String(error))) throw error
        this.#types.set(id, null)
      }
    }
  }

  /** Loads the writer schemas that these framed values name (values that are not framed are skipped). */
  async loadFor(values: Iterable<Buffer | null>): Promise<void> {
    const ids = new Set<number>()
    for (const value of values) {
      const id = framedSchemaId(value)
      if (id !== undefined) ids.add(id)
    }
    await this.load(ids)
  }

  decode(value: Buffer | null): { schemaId: number; value: unknown } {
    const schemaId = framedSchemaId(value)
    if (schemaId === undefined || value === null)
      throw new AvroFrameError('not-framed', 'the value is not Confluent-framed Avro (no magic byte 0 and schema id)')
    const type = this.#types.get(schemaId)
    if (type === undefined) throw new Error(`schema ${schemaId} was not loaded before decoding`)
    if (type === null) throw new AvroFrameError('unknown-schema', `schema id ${schemaId} is not in the registry`)
    try {
      const body = value.subarray(5)
      // Before avsc reads it: a count it believed would hold the event loop (avro-bounds.ts).
      checkAvroBounds(type, body)
      return { schemaId, value: type.fromBuffer(body) }
    } catch (error) {
      throw new AvroFrameError(
        'bad-body',
        `the Avro body does not decode with schema ${schemaId}: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`,
      )
    }
  }

  encode(schemaId: number, value: unknown): Buffer {
    const type = this.#types.get(schemaId)
    if (type === undefined || type === null) throw new Error(`schema ${schemaId} is not loaded`)
    const body = type.toBuffer(value)
    const framed = Buffer.allocUnsafe(5 + body.length)
    framed.writeUInt8(0, 0)
    framed.writeUInt32BE(schemaId, 1)
    body.copy(framed, 5)
    return framed
  }
}
