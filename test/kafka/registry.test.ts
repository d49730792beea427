import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TrendsError } from '@trends/core'
import { registerAvroSchema, SchemaType } from '@trends/kafka'
import { freshSubject, useRegistry } from '@trends/testing'

const V1 = {
  type: 'record' as const,
  name: 'Trend',
  namespace: 'test.trends',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'rank', type: 'int' },
  ],
}

/** Adds an optional field with a default: readers on v2 can still read v1 records (BACKWARD). */
const V2_COMPATIBLE = {
  ...V1,
  fields: [...V1.fields, { name: 'country', type: ['null', 'string'], default: null }],
}

/** Adds a required field without a default: v2 readers cannot read v1 records, so BACKWARD refuses it. */
const V2_INCOMPATIBLE = {
  ...V1,
  fields: [...V1.fields, { name: 'views', type: 'long' }],
}

test('registers an Avro schema, encodes and decodes through it, and finds it by subject', async () => {
  const registry = useRegistry()
  const subject = freshSubject('registry')
  const id = await registerAvroSchema(registry, subject, V1)
  assert.ok(Number.isInteger(id) && id > 0)

  // 64-bit ids travel as strings, so the value below must survive unchanged.
  const value = { id: '7234567890123456789', rank: 3 }
  const encoded = await registry.encode(id, value)
  assert.equal(encoded.readUInt8(0), 0, 'Confluent framing starts with magic byte 0')
  assert.equal(encoded.readUInt32BE(1), id, 'then the 4-byte schema id')
  // avsc decodes into a record class instance; compare its fields.
  assert.deepEqual({ ...(await registry.decode(encoded)) }, value)

  assert.equal(await registry.getLatestSchemaId(subject), id)
  assert.equal(await registry.getRegistryId(subject, 1), id)
  const schema = await registry.getSchema(id)
  assert.equal((schema as { name?: string }).name, 'test.trends.Trend')
})

test('registering the same schema twice returns the same id', async () => {
  const registry = useRegistry()
  const subject = freshSubject('registry-same')
  const first = await registerAvroSchema(registry, subject, V1)
  const second = await registerAvroSchema(registry, subject, V1)
  assert.equal(second, first)
})

test('BACKWARD compatibility accepts an optional field and rejects a new required one', async () => {
  const registry = useRegistry()
  const subject = freshSubject('registry-compat')
  const v1 = await registerAvroSchema(registry, subject, V1)
  const v2 = await registerAvroSchema(registry, subject, V2_COMPATIBLE)
  assert.notEqual(v2, v1)
  assert.equal(await registry.getLatestSchemaId(subject), v2)

  await assert.rejects(registerAvroSchema(registry, subject, V2_INCOMPATIBLE), (error: unknown) => {
    assert.ok(error instanceof TrendsError)
    assert.equal(error.code, 'SCHEMA_INCOMPATIBLE')
    return true
  })
  // The refused schema did not become the latest version.
  assert.equal(await registry.getLatestSchemaId(subject), v2)

  // A v1 record still decodes, and reading it with the v2 schema fills the default.
  const old = await registry.encode(v1, { id: '1', rank: 1 })
  assert.deepEqual({ ...(await registry.decode(old)) }, { id: '1', rank: 1 })
  const asV2: unknown = await registry.decode(old, { [SchemaType.AVRO]: { readerSchema: V2_COMPATIBLE } })
  assert.deepEqual({ ...(asV2 as object) }, { id: '1', rank: 1, country: null })
})

test('decoding bytes whose schema id the registry does not know fails with an error', async () => {
  const registry = useRegistry()
  const bogus = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4])
  await assert.rejects(registry.decode(bogus))
})

test('services registering a new subject all at once each get the same id: the race for its compatibility rule is retried', async () => {
  const subject = freshSubject('race')
  // Separate clients, as separate processes have: none has the subject cached.
  const ids = await Promise.all(Array.from({ length: 6 }, () => registerAvroSchema(useRegistry(), subject, V1)))
  assert.equal(new Set(ids).size, 1, `ids ${ids.join(', ')}`)
  const registry = useRegistry()
  assert.equal(await registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(V1) }), ids[0])
})
