import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { TrendsError } from '@trends/core'
import { describeFailure, originOf } from '@trends/metrics'
import { freePort } from '@trends/testing'

test('a refused connection names the code and the address, from Node and from fetch', async () => {
  const port = await freePort()
  const socketError = await new Promise<unknown>((resolve) => connect(port, '127.0.0.1').once('error', resolve))
  assert.deepEqual(describeFailure(socketError), { reason: `ECONNREFUSED 127.0.0.1:${port}`, unreachable: true })
  const fetchError = await fetch(`http://127.0.0.1:${port}/subjects?token=secret`).catch((error: unknown) => error)
  assert.ok(fetchError instanceof TypeError, 'fetch rejects with a TypeError whose cause is the socket error')
  assert.deepEqual(describeFailure(fetchError), { reason: `ECONNREFUSED 127.0.0.1:${port}`, unreachable: true })
  const wrapped = new TrendsError('CLICKHOUSE_UNAVAILABLE', 'insert failed at http://u:secret@h', { cause: socketError })
  assert.equal(describeFailure(wrapped).reason, `ECONNREFUSED 127.0.0.1:${port}`, 'the network cause wins over the wrapper')
})

test('kafkajs errors: the broker and code of a connection error, the protocol type, through retries', () => {
  const connection = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
    name: 'KafkaJSConnectionError',
    broker: '127.0.0.1:9092',
    code: 'ECONNREFUSED',
  })
  const retries = Object.assign(new Error('Connection error', { cause: connection }), { name: 'KafkaJSNumberOfRetriesExceeded' })
  assert.deepEqual(describeFailure(retries), { reason: 'ECONNREFUSED 127.0.0.1:9092', unreachable: true })
  const protocol = Object.assign(new Error('The producer attempted to update a transaction while another concurrent operation…'), {
    name: 'KafkaJSProtocolError',
    type: 'CONCURRENT_TRANSACTIONS',
    code: 51,
  })
  assert.deepEqual(describeFailure(protocol), { reason: 'CONCURRENT_TRANSACTIONS', unreachable: false })
  const old = Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: protocol })
  assert.equal(describeFailure(old).reason, 'CONCURRENT_TRANSACTIONS', "kafkajs's originalError is followed too")
  const timeout = Object.assign(new Error('Request Metadata(key: 3, version: 6) timed out'), { name: 'KafkaJSRequestTimeoutError' })
  assert.deepEqual(describeFailure(timeout), { reason: 'timed out', unreachable: true })
})

test('ClickHouse names, HTTP statuses and our own codes; a class and its source position only when nothing else is there', () => {
  const clickhouse = Object.assign(new Error("Table trends.x does not exist. password='secret'"), {
    name: 'ClickHouseError',
    code: '60',
    type: 'UNKNOWN_TABLE',
  })
  assert.deepEqual(describeFailure(clickhouse), { reason: 'UNKNOWN_TABLE', unreachable: false })
  const registry = Object.assign(new Error('registry answered 503'), { status: 503 })
  assert.deepEqual(describeFailure(registry), { reason: 'HTTP 503', unreachable: false })
  assert.equal(describeFailure(new TrendsError('CONFIG_INVALID', 'bad')).reason, 'CONFIG_INVALID')
  assert.equal(describeFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).reason, 'timed out')
  assert.deepEqual(describeFailure(new TypeError('fetch failed: http://user:secret@host')), { reason: 'TypeError', unreachable: false })
  assert.equal(describeFailure('a string thrown').reason, 'unknown error')
  // With nothing else to name it, where the project's own code threw it (library and test frames passed over).
  const thrown = Object.assign(new TypeError("Cannot read properties of undefined (reading 'password=secret')"), {
    stack: [
      "TypeError: Cannot read properties of undefined (reading 'password=secret')",
      '    at parse (/srv/app/node_modules/kafkajs/src/consumer/batch.js:40:11)',
      '    at check (file:///srv/app/packages/metrics/src/health.ts:69:20)',
      '    at Partitions.take (file:///srv/app/services/sink/src/partitions.ts:120:18)',
      '    at file:///srv/app/packages/kafka/src/supervise.ts:210:5',
    ].join('\n'),
  })
  assert.deepEqual(describeFailure(thrown), { reason: 'TypeError at services/sink/src/partitions.ts:120', unreachable: false })
  assert.equal(originOf(thrown), 'services/sink/src/partitions.ts:120')
  assert.equal(originOf(new Error('from a test')), undefined, 'a test file is not a source position')
  assert.equal(describeFailure(Object.assign(new Error('x'), { name: 'has spaces; and text' })).reason, 'unknown error')
})

test('only bounded, safe fields are used: a code or address that could carry text is ignored', () => {
  const sneaky = Object.assign(new Error('m'), { code: 'ECONNREFUSED', address: 'user:secret@host/path?token=1', port: 9092 })
  assert.deepEqual(describeFailure(sneaky), { reason: 'ECONNREFUSED', unreachable: true })
  const long = Object.assign(new Error('m'), { type: `X${'Y'.repeat(200)}` })
  assert.equal(describeFailure(long).reason, 'Error')
  const cycle: Error & { cause?: unknown } = new Error('loop')
  cycle.cause = cycle
  assert.equal(describeFailure(cycle).reason, 'Error', 'a cause cycle ends')
})
