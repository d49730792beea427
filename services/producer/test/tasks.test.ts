import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseMatrix } from '../src/matrix.ts'
import { decodeTask, encodeTask, slotStart, taskFor } from '../src/tasks.ts'

const [chart] = parseMatrix(
  { charts: [{ endpoint: 'sounds-legacy', countries: ['US'], periods: ['7'], cadence: '1h', maxPages: 3 }] },
  {
    cadence: '1h',
    maxPages: 5,
  },
).charts

test('slots: the same hour is the same slot', () => {
  const hour = 3_600_000
  assert.equal(slotStart(Date.parse('2026-11-24T10:00:00Z'), hour), Date.parse('2026-11-24T10:00:00Z'))
  assert.equal(slotStart(Date.parse('2026-11-24T10:59:59Z'), hour), Date.parse('2026-11-24T10:00:00Z'))
  assert.equal(slotStart(Date.parse('2026-11-24T11:00:00Z'), hour), Date.parse('2026-11-24T11:00:00Z'))
})

test('a task id is the same for the same chart and slot, and differs across slots and charts', () => {
  assert.ok(chart)
  const a = taskFor(chart, Date.parse('2026-11-24T10:05:00Z'))
  const b = taskFor(chart, Date.parse('2026-11-24T10:55:00Z'))
  const c = taskFor(chart, Date.parse('2026-11-24T11:05:00Z'))
  assert.equal(a.taskId, b.taskId)
  assert.notEqual(a.taskId, c.taskId)
  const other = parseMatrix({ charts: [{ endpoint: 'sounds-legacy', countries: ['GB'], periods: ['7'] }] }, { cadence: '1h', maxPages: 3 })
    .charts[0]
  assert.ok(other)
  assert.notEqual(taskFor(other, Date.parse('2026-11-24T10:05:00Z')).taskId, a.taskId)
})

test('a task survives the topic round trip and resolves its endpoint', () => {
  assert.ok(chart)
  const task = taskFor(chart, Date.parse('2026-11-24T10:05:00Z'))
  const { task: back, target } = decodeTask(encodeTask(task))
  assert.deepEqual(back, task)
  assert.equal(target.endpoint.name, 'sounds-legacy')
  assert.equal(target.country, 'US')
  assert.equal(back.maxPages, 3)
})

test('unreadable tasks are refused with a reason', () => {
  assert.throws(() => decodeTask(null), /without a value/)
  assert.throws(() => decodeTask(Buffer.from('{"taskId":"x"}')), /without taskId, endpoint or maxPages/)
  assert.throws(() => decodeTask(Buffer.from('{"taskId":"x","endpoint":"gone","maxPages":1}')), /unknown endpoint gone/)
  assert.throws(() => decodeTask(Buffer.from('not json')), SyntaxError)
})
