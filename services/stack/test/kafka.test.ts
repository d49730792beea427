import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { TrendsError } from '@trends/core'
import { loadStackConfig } from '../src/config.ts'
import { checkLogDirs, serverProperties } from '../src/kafka.ts'

function properties(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
}

test('server.properties describe one KRaft node on loopback with single-replica internal topics', () => {
  const config = loadStackConfig({ STACK_KAFKA_PORT: '19092', STACK_KAFKA_CONTROLLER_PORT: '19093', STACK_DATA_DIR: '/tmp/d' })
  const props = properties(serverProperties(config))
  assert.equal(props.get('process.roles'), 'broker,controller')
  assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093')
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093')
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092')
  assert.equal(props.get('log.dirs'), '/tmp/d/kafka/data')
  assert.equal(props.get('offsets.topic.replication.factor'), '1')
  assert.equal(props.get('transaction.state.log.replication.factor'), '1')
  assert.equal(props.get('transaction.state.log.min.isr'), '1')
  assert.equal(props.get('share.coordinator.state.topic.replication.factor'), '1')
  assert.equal(props.get('group.initial.rebalance.delay.ms'), '0')
})

test('log dirs: missing or empty is "empty", a valid meta.properties is "formatted"', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-logdirs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  assert.equal(checkLogDirs(path.join(dir, 'absent')), 'empty')
  assert.equal(checkLogDirs(dir), 'empty')
  writeFileSync(path.join(dir, 'meta.properties'), 'version=1\ncluster.id=Pc4gQJsfRVaSjkOXnVbvfg\nnode.id=1\n')
  assert.equal(checkLogDirs(dir), 'formatted')
})

test('log dirs with files but no meta.properties, or a broken one, are refused and left as they are', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-logdirs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(path.join(dir, 'topic-0'))
  writeFileSync(path.join(dir, 'topic-0', '00000000000000000000.log'), 'not a segment')
  const corrupt = (error: unknown) =>
    error instanceof TrendsError && error.code === 'STACK_DATA_CORRUPT' && /move .* aside/.test(error.message)
  assert.throws(() => checkLogDirs(dir), corrupt)
  writeFileSync(path.join(dir, 'meta.properties'), '\u0000\u0001garbage')
  assert.throws(() => checkLogDirs(dir), corrupt)
  assert.deepEqual(readdirSync(dir).sort(), ['meta.properties', 'topic-0'])
})
