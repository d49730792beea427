import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import { createSchemaRegistry, registerAvroSchema } from '../src/registry.ts'

const SCHEMA = { type: 'record', name: 'Probe', fields: [{ name: 'a', type: 'string' }] }

test('a registry request that gets no answer fails after the timeout and is tried again', { timeout: 20_000 }, async (t) => {
  const seen: string[] = []
  const held: ServerResponse[] = []
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`)
    request.resume()
    // The first request of each part is accepted and never answered: the registry hangs.
    if (seen.length === 1) return void held.push(response)
    response.setHeader('content-type', 'application/vnd.schemaregistry.v1+json')
    if (request.method === 'GET') return void response.end(JSON.stringify({ compatibilityLevel: 'BACKWARD' }))
    response.end(JSON.stringify({ id: 7 }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const response of held) response.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const registry = createSchemaRegistry({ url, requestTimeoutMs: 300 })

  // One request alone: the timeout is the error, named with its length.
  await assert.rejects(registry.getLatestSchemaId('hung-subject'), /Timeout \(300ms\)/)
  assert.equal(seen.length, 1)

  // Registering treats a timeout as an unreachable registry and tries again.
  seen.length = 0
  assert.equal(await registerAvroSchema(registry, 'probe-value', SCHEMA), 7)
  assert.equal(seen[0], 'GET /config/probe-value', 'the first request went unanswered')
  assert.deepEqual(seen.slice(1), ['GET /config/probe-value', 'POST /subjects/probe-value/versions'])
})
