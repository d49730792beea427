import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

// docker-compose.yml cannot run on machines without a Docker engine, so its shape is checked here.

interface Service {
  image?: string
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  environment?: Record<string, string | number>
}

const compose = parse(readFileSync(path.resolve(import.meta.dirname, '../docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}

function service(name: string): Service {
  const found = compose.services[name]
  assert.ok(found, `service ${name} exists`)
  return found
}

test('the stack services use pinned official images', () => {
  assert.match(service('kafka').image ?? '', /^apache\/kafka:4\.\d+\.\d+$/)
  assert.match(service('schema-registry').image ?? '', /^apicurio\/apicurio-registry:3\.\d+\.\d+$/)
  assert.match(service('clickhouse').image ?? '', /^clickhouse\/clickhouse-server:\d+\.\d+/)
})

test('ports match the local stack and bind loopback only', () => {
  assert.deepEqual(service('kafka').ports, ['127.0.0.1:9092:9094'])
  assert.deepEqual(service('schema-registry').ports, ['127.0.0.1:8081:8080'])
  assert.deepEqual(service('clickhouse').ports, ['127.0.0.1:8123:8123'])
})

test('Kafka runs one KRaft node whose external listener advertises the published port', () => {
  const env = service('kafka').environment ?? {}
  assert.equal(env['KAFKA_PROCESS_ROLES'], 'broker,controller')
  assert.match(String(env['KAFKA_ADVERTISED_LISTENERS']), /EXTERNAL:\/\/127\.0\.0\.1:9092/)
  assert.equal(env['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR'], 1)
  assert.equal(env['KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR'], 1)
})

test('every service has a health check, and the registry waits for a healthy Kafka', () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    assert.ok(svc.healthcheck?.test.length, `${name} has a health check`)
  }
  assert.deepEqual(service('schema-registry').depends_on, { kafka: { condition: 'service_healthy' } })
  assert.equal(service('schema-registry').environment?.['APICURIO_KAFKASQL_BOOTSTRAP_SERVERS'], 'kafka:9092')
})

test('data lives in named volumes that are declared', () => {
  for (const name of ['kafka', 'clickhouse']) {
    for (const volume of service(name).volumes ?? []) {
      const source = volume.split(':')[0] ?? ''
      assert.ok(source in compose.volumes, `${name} volume ${source} is declared`)
    }
    assert.ok((service(name).volumes ?? []).length > 0, `${name} keeps its data in a volume`)
  }
})
