import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CONTRACTS, ENDPOINTS } from '@trends/creative-center'
import { SPECS } from '../src/families.ts'

test("every endpoint has a mapping, and what it requires is its field contract's required fields", () => {
  assert.deepEqual(Object.keys(SPECS).sort(), ENDPOINTS.map((endpoint) => endpoint.name).sort())
  for (const [endpoint, spec] of Object.entries(SPECS))
    assert.deepEqual(spec.required, Object.keys(CONTRACTS[endpoint]!.required), endpoint)
})
