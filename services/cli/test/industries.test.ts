import { test } from 'node:test'
import assert from 'node:assert/strict'
import { INDUSTRIES } from '@trends/creative-center'
import { industryRows } from '../src/commands/industries.ts'

test("trends industries: each upstream industry beside the release's name for it, new and renamed ones said, missing ones counted", () => {
  const upstream = new Map(Object.entries(INDUSTRIES).filter(([id]) => id !== '29000000000'))
  upstream.set('22000000000', 'Apparel')
  upstream.set('30000000000', 'Gardening')
  const { rows, summary } = industryRows(upstream)
  assert.equal(rows.length, Object.keys(INDUSTRIES).length)
  assert.deepEqual(
    rows.find((row) => row.id === '22000000000'),
    { id: '22000000000', name: 'Apparel', known: 'was Apparel & Accessories' },
  )
  assert.deepEqual(
    rows.find((row) => row.id === '30000000000'),
    { id: '30000000000', name: 'Gardening', known: 'new' },
  )
  assert.deepEqual(
    rows.find((row) => row.id === '25000000000'),
    { id: '25000000000', name: 'Games', known: 'same' },
  )
  assert.deepEqual(
    rows.map((row) => row.id),
    [...rows.map((row) => row.id)].sort(),
  )
  assert.equal(summary, '18 industries upstream: 1 new, 1 renamed; 1 known here not listed upstream\n')
})
