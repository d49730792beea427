import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import avro from 'avsc'
import { AvroBoundsError, AvroCodec, AvroFrameError, checkAvroBounds, type AvroShape } from '../src/index.ts'

const SCHEMAS = new URL('../../../schemas/', import.meta.url)
const typeOf = (file: string) => avro.Type.forSchema(JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as avro.Schema)
const shape = (type: avro.Type) => type as unknown as AvroShape

/** The raw record's schema with its request_params map written as a plain long: a map block count of our choosing. */
function mapCountOf(count: number): Buffer {
  const schema = JSON.parse(readFileSync(new URL('tiktok.raw.record.avsc', SCHEMAS), 'utf8')) as {
    fields: Array<{ name: string; type: unknown }>
  }
  const field = schema.fields.find((f) => f.name === 'request_params')
  assert.ok(field, 'the raw record has request_params')
  field.type = 'long'
  const forged = avro.Type.forSchema(schema as avro.Schema)
  const value = forged.random() as unknown as Record<string, unknown>
  value['request_params'] = count
  return forged.toBuffer(value)
}

test('every value of every schema passes the bounds check unchanged, and decodes as before', () => {
  const files = readdirSync(SCHEMAS).filter((file) => file.endsWith('.avsc'))
  assert.ok(files.length >= 5)
  for (const file of files) {
    const type = typeOf(file)
    for (let i = 0; i < 200; i++) {
      const bytes = type.toBuffer(type.random())
      checkAvroBounds(shape(type), bytes)
      assert.ok(type.isValid(type.fromBuffer(bytes)), file)
    }
  }
})

test('a block count beyond the bytes left is refused at once, where avsc would loop over it', () => {
  const raw = typeOf('tiktok.raw.record.avsc')
  for (const count of [9e15, 5e8, 1e6, -9e15]) {
    const began = Date.now()
    assert.throws(
      () => checkAvroBounds(shape(raw), mapCountOf(count)),
      (error: unknown) => {
        assert.ok(error instanceof AvroBoundsError)
        assert.match(error.message, /a block of \d+ map items with \d+ bytes left at byte \d+ of \d+/)
        return true
      },
    )
    assert.ok(Date.now() - began < 1000, 'refused without walking the count')
  }
})

test('truncated, overlong and stray bytes are named, never read past', () => {
  const fetchLog = typeOf('tiktok.fetch-log.avsc')
  const bytes = fetchLog.toBuffer(fetchLog.random())
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => checkAvroBounds(shape(fetchLog), bytes.subarray(0, cut)), AvroBoundsError, `cut at ${cut}`)
  }
  assert.throws(() => checkAvroBounds(shape(fetchLog), Buffer.alloc(16, 0xff)), /a number longer than ten bytes/)
  const union = avro.Type.forSchema(['null', 'string'])
  assert.throws(() => checkAvroBounds(shape(union), Buffer.from([0x08])), /union branch 4 of 2/)
})

test('AvroCodec.decode refuses a forged count as a bad body, and the next record decodes', async () => {
  const raw = typeOf('tiktok.raw.record.avsc')
  const registry = { getSchema: async () => raw } as unknown as SchemaRegistry
  const codec = new AvroCodec(registry)
  await codec.load([7])
  const framed = (body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body])
  assert.throws(
    () => codec.decode(framed(mapCountOf(9e15))),
    (error: unknown) => {
      assert.ok(error instanceof AvroFrameError)
      assert.equal(error.reason, 'bad-body')
      assert.match(error.message, /does not decode with schema 7: a block of/)
      return true
    },
  )
  const value = raw.random()
  assert.deepEqual(codec.decode(framed(raw.toBuffer(value))), { schemaId: 7, value: raw.fromBuffer(raw.toBuffer(value)) as unknown })
})
