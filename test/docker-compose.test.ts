import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

// docker-compose.yml cannot run on machines without a Docker engine, so its shape is checked here.

interface Service {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  profiles?: string[]
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  environment?: Record<string, string | number>
}

const ROOT = path.resolve(import.meta.dirname, '..')
// Merge keys (<<: *pipeline) as Docker Compose reads them.
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}

function service(name: string): Service {
  const found = compose.services[name]
  assert.ok(found, `service ${name} exists`)
  return found
}

const PIPELINE = { producer: 9464, normalizer: 9465, sink: 9466, signals: 9467 } as const

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

test('producer, normalizer, sink and signals run from the one image, each its own entry point, wired to the in-network servers', () => {
  for (const [name, port] of Object.entries(PIPELINE)) {
    const svc = service(name)
    assert.deepEqual(svc.build, { context: '.', dockerfile: 'services/Dockerfile' }, name)
    const main = svc.command?.[0] ?? ''
    assert.equal(main, `services/${name}/src/main.ts`)
    assert.ok(existsSync(path.join(ROOT, main)), `${main} exists`)
    const env = svc.environment ?? {}
    assert.equal(env['KAFKA_BROKERS'], 'kafka:9092', name)
    assert.equal(env['SCHEMA_REGISTRY_URL'], 'http://schema-registry:8080/apis/ccompat/v7', name)
    assert.equal(Number(env['METRICS_PORT']), port, name)
    assert.deepEqual(svc.ports, [`127.0.0.1:${port}:${port}`], name)
    assert.match(svc.healthcheck?.test.join(' ') ?? '', new RegExp(`127\\.0\\.0\\.1:${port}/readyz`), `${name} is healthy when ready`)
    assert.equal(svc.depends_on?.['kafka']?.condition, 'service_healthy', name)
  }
  assert.equal(service('producer').command?.[1], 'all')
  assert.equal(service('sink').environment?.['CLICKHOUSE_USER'], service('clickhouse').environment?.['CLICKHOUSE_USER'])
  for (const name of ['sink', 'signals']) {
    const env = service(name).environment ?? {}
    assert.equal(env['CLICKHOUSE_URL'], 'http://clickhouse:8123', name)
    assert.equal(env['CLICKHOUSE_DATABASE'], service('clickhouse').environment?.['CLICKHOUSE_DB'], name)
    assert.equal(service(name).depends_on?.['clickhouse']?.condition, 'service_healthy', name)
  }
  assert.deepEqual(service('simulator').profiles, ['simulator'])
})

test('the Dockerfile copies what exists and starts the CLI by default', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'services/Dockerfile'), 'utf8')
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(' '))
  assert.ok(sources.length >= 4)
  for (const source of sources) assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}`)
  assert.match(dockerfile, /^FROM node:24-/m, 'Node.js 24, which runs the TypeScript sources directly')
  assert.match(dockerfile, /npm ci --omit=dev/)
  const cmd = /^CMD \["([^"]+)"/m.exec(dockerfile)?.[1] ?? ''
  assert.ok(existsSync(path.join(ROOT, cmd)), `CMD ${cmd}`)
})

test('Prometheus scrapes each pipeline service where compose publishes its metrics', () => {
  const prometheus = parse(readFileSync(path.join(ROOT, 'services/monitoring/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>
    rule_files: string[]
  }
  const targets = prometheus.scrape_configs.flatMap((config) => config.static_configs.flatMap((c) => c.targets))
  assert.deepEqual(
    targets.sort(),
    Object.entries(PIPELINE)
      .map(([name, port]) => `${name}:${port}`)
      .sort(),
  )
  for (const mount of [...(service('prometheus').volumes ?? []), ...(service('grafana').volumes ?? [])]) {
    assert.ok(existsSync(path.join(ROOT, mount.split(':')[0]!)), `${mount} exists`)
  }
  // Each rule file is mounted beside the configuration, where Prometheus resolves its relative path.
  assert.deepEqual(prometheus.rule_files, ['alerts.yml'])
  assert.ok((service('prometheus').volumes ?? []).includes('./services/monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro'))
})
