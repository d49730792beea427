import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { logLevel } from 'kafkajs'
import { createLogger } from '@trends/logger'
import { pinoLogCreator } from '../src/client.ts'

function capture() {
  const lines: Array<{ level: string; msg: string }> = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string })
      done()
    },
  })
  const log = pinoLogCreator(createLogger({ service: 'test', level: 'trace', destination }))(logLevel.DEBUG)
  return { lines, log }
}

test('kafkajs errors it retries itself are logged lower; the ones it gives up on stay errors', () => {
  const { lines, log } = capture()
  const concurrent = 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'
  log({
    namespace: 'Connection',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '', message: 'Response AddPartitionsToTxn(key: 24, version: 1)', error: concurrent },
  })
  log({
    namespace: 'Producer',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '', message: `Failed to send messages: ${concurrent}`, retryCount: 0 },
  })
  log({
    namespace: 'Producer',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '', message: 'The request included a message larger than the max message size', retryCount: 0 },
  })
  log({ namespace: 'Consumer', level: logLevel.WARN, label: 'WARN', log: { timestamp: '', message: 'heartbeat late' } })
  assert.deepEqual(
    lines.map((line) => line.level),
    ['debug', 'warn', 'error', 'warn'],
  )
})

test("kafkajs's lines about a crash or a failed handler keep the error's class and position, not its text", () => {
  const { lines, log } = capture()
  const text = 'rank must be a number in {"name":"private item"}'
  log({
    namespace: 'Consumer',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: {
      timestamp: '',
      message: `Crash: KafkaJSNonRetriableError: ${text}`,
      groupId: 'g',
      retryCount: 0,
      stack: `Error: ${text}\n    at x`,
    },
  })
  log({
    namespace: 'Runner',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: {
      timestamp: '',
      message: 'Error when calling eachBatch',
      topic: 't',
      partition: 2,
      offset: '41',
      error: new TypeError(text),
      stack: text,
    },
  })
  assert.doesNotMatch(JSON.stringify(lines), /private item|rank must be/)
  assert.deepEqual(
    lines.map((line) => [line.level, line.msg]),
    [
      ['debug', 'consumer crash'],
      ['error', 'Error when calling eachBatch'],
    ],
  )
  assert.equal((lines[1] as unknown as { errorClass: string }).errorClass, 'TypeError')
  assert.equal((lines[1] as unknown as { offset: string }).offset, '41')
})
