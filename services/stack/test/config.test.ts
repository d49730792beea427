import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@trends/core'
import { loadStackConfig } from '../src/config.ts'

test('defaults put Kafka on 9092/9093 and the registry on 8081, all on loopback', () => {
  const config = loadStackConfig({})
  assert.equal(config.kafka.host, '127.0.0.1')
  assert.equal(config.kafka.port, 9092)
  assert.equal(config.kafka.controllerPort, 9093)
  assert.equal(config.registry.port, 8081)
  assert.equal(config.clickhouse.mode, 'embedded')
})

test('every configuration problem is reported at once', () => {
  assert.throws(
    () =>
      loadStackConfig({
        STACK_KAFKA_PORT: 'ninety',
        STACK_REGISTRY_PORT: '70000',
        STACK_REGISTRY_MANAGEMENT_PORT: '9093',
        CLICKHOUSE_URL: 'ftp://nope',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      const text = error.problems.join('\n')
      assert.match(text, /STACK_KAFKA_PORT: set an integer between 1 and 65535/)
      assert.match(text, /STACK_REGISTRY_PORT: set an integer between 1 and 65535/)
      assert.match(text, /CLICKHOUSE_URL: set an http\(s\) URL/)
      assert.match(text, /ports must all differ/)
      assert.equal(error.problems.length, 4)
      return true
    },
  )
})
