import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chunkByBytes } from '../src/chunks.ts'

test('messages are grouped under the byte limit, in order; an oversized one travels alone', () => {
  const message = (size: number, key = 'k') => ({ key, value: Buffer.alloc(size) })
  const messages = [message(300), message(300), message(300), message(5000), message(10), message(10)]
  const chunks = chunkByBytes(messages, 1000)
  assert.deepEqual(
    chunks.map((chunk) => chunk.map((m) => m.value.length)),
    [[300, 300], [300], [5000], [10, 10]],
  )
  assert.deepEqual(chunks.flat(), messages)
  assert.deepEqual(chunkByBytes([], 1000), [])
})
