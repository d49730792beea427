import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

// docker-compose.yml cannot run on machines without a Docker engine, so its shape is checked here.

interface Service {
  image?: string
  hostname?: string
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

// docker-compose.cluster.yml: the pipeline against a ClickHouse cluster (two replicas of one shard
// and a Keeper), with the configuration it mounts from services/clickhouse-cluster/.
const cluster = parse(readFileSync(path.join(ROOT, 'docker-compose.cluster.yml'), 'utf8'), { merge: true }) as typeof compose
const REPLICAS = ['clickhouse-1', 'clickhouse-2'] as const
const clusterConfig = (file: string) => readFileSync(path.join(ROOT, 'services/clickhouse-cluster', file), 'utf8')
/** The text of every `<tag>` element in an XML file's text, in order. */
const elements = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1]!.trim())

function clusterService(name: string): Service {
  const found = cluster.services[name]
  assert.ok(found, `cluster service ${name} exists`)
  return found
}

test('cluster: two official ClickHouse server replicas and one ClickHouse Keeper, pinned to one version', () => {
  const server = clusterService('clickhouse-1').image ?? ''
  assert.match(server, /^clickhouse\/clickhouse-server:\d+\.\d+/)
  assert.equal(clusterService('clickhouse-2').image, server)
  const keeper = clusterService('keeper').image ?? ''
  assert.match(keeper, /^clickhouse\/clickhouse-keeper:\d+\.\d+/)
  assert.equal(/:(\d+\.\d+)/.exec(keeper)?.[1], /:(\d+\.\d+)/.exec(server)?.[1], "Keeper of the servers' version")
  const servers = Object.entries(cluster.services).filter(([, svc]) => /^clickhouse\//.test(svc.image ?? ''))
  assert.deepEqual(servers.map(([name]) => name).sort(), ['clickhouse-1', 'clickhouse-2', 'keeper'])
  assert.match(clusterService('kafka').image ?? '', /^apache\/kafka:4\.\d+\.\d+$/)
})

test('cluster: each replica mounts the shared cluster file and its own macros, the Keeper its configuration; all of it exists', () => {
  for (const name of REPLICAS) {
    const volumes = clusterService(name).volumes ?? []
    assert.ok(volumes.includes('./services/clickhouse-cluster/cluster.xml:/etc/clickhouse-server/config.d/cluster.xml:ro'), name)
    assert.ok(volumes.includes(`./services/clickhouse-cluster/macros-${name}.xml:/etc/clickhouse-server/config.d/macros.xml:ro`), name)
  }
  assert.ok(
    (clusterService('keeper').volumes ?? []).includes(
      './services/clickhouse-cluster/keeper.xml:/etc/clickhouse-keeper/keeper_config.xml:ro',
    ),
  )
  const data = new Set<string>()
  for (const [name, svc] of Object.entries(cluster.services)) {
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(':')[0] ?? ''
      if (source.startsWith('./')) assert.ok(existsSync(path.join(ROOT, source)), `${name} mounts ${source}, which exists`)
      else {
        assert.ok(source in cluster.volumes, `${name} volume ${source} is declared`)
        assert.ok(!data.has(source), `${source} belongs to one service`)
        data.add(source)
      }
    }
  }
  for (const name of [...REPLICAS, 'keeper', 'kafka'])
    assert.ok(
      (clusterService(name).volumes ?? []).some((v) => !v.startsWith('./')),
      name,
    )
})

test('cluster: remote_servers holds one shard of the two replicas, Keeper is where the keeper service listens, macros per replica', () => {
  const xml = clusterConfig('cluster.xml')
  const name = /<remote_servers>\s*<(\w+)>/.exec(xml)?.[1] ?? ''
  assert.match(name, /^[A-Za-z_][A-Za-z0-9_]*$/)
  assert.equal((xml.match(/<shard>/g) ?? []).length, 1, 'one shard')
  assert.deepEqual(elements(xml, 'internal_replication'), ['true'], 'the Replicated tables copy rows between the replicas')
  const replicas = [...xml.matchAll(/<replica>\s*<host>([^<]+)<\/host>\s*<port>(\d+)<\/port>/g)].map((match) => [match[1], match[2]])
  assert.deepEqual(replicas, [
    ['clickhouse-1', '9000'],
    ['clickhouse-2', '9000'],
  ])
  // The replicas reach each other as the pipeline's user (the image drops `default` when CLICKHOUSE_USER is set).
  assert.deepEqual(
    elements(xml, 'user'),
    [1, 2].map(() => String(clusterService('clickhouse-1').environment?.['CLICKHOUSE_USER'])),
  )

  const keeper = clusterConfig('keeper.xml')
  const zookeeper = /<zookeeper>\s*<node>\s*<host>([^<]+)<\/host>\s*<port>(\d+)<\/port>/.exec(xml)
  assert.equal(zookeeper?.[1], clusterService('keeper').hostname ?? 'keeper')
  assert.ok('keeper' in cluster.services)
  assert.deepEqual(elements(keeper, 'tcp_port'), [zookeeper?.[2]], 'Keeper listens where the servers look for it')
  assert.deepEqual(elements(keeper, 'hostname'), [clusterService('keeper').hostname], 'its raft member is itself')
  assert.deepEqual(elements(keeper, 'server_id'), elements(keeper, 'id'))
  assert.ok(elements(keeper, 'four_letter_word_white_list')[0]?.split(',').includes('ruok'), 'the health check may ask ruok')

  const shards = new Set<string>()
  for (const replica of REPLICAS) {
    const macros = clusterConfig(`macros-${replica}.xml`)
    assert.deepEqual(elements(macros, 'replica'), [replica], replica)
    assert.deepEqual(elements(macros, 'cluster'), [name], replica)
    assert.deepEqual(
      elements(macros, 'interserver_http_host'),
      [clusterService(replica).hostname],
      `${replica} is fetched from by its name`,
    )
    assert.equal(clusterService(replica).hostname, replica)
    shards.add(elements(macros, 'shard').join())
  }
  assert.equal(shards.size, 1, 'both replicas of the one shard')
  assert.deepEqual(elements(xml, 'path'), ['/clickhouse/task_queue/ddl'], 'the ON CLUSTER queue')
})

test('cluster: both replicas and Keeper health-checked, replicas wait for a healthy Keeper, ports bound to loopback only', () => {
  for (const [name, svc] of Object.entries(cluster.services)) {
    assert.ok(svc.healthcheck?.test.length, `${name} has a health check`)
    for (const port of svc.ports ?? []) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port} on loopback`)
  }
  assert.match(clusterService('keeper').healthcheck?.test.join(' ') ?? '', /ruok/)
  for (const name of REPLICAS) {
    assert.match(clusterService(name).healthcheck?.test.join(' ') ?? '', /8123\/ping/, name)
    assert.equal(clusterService(name).depends_on?.['keeper']?.condition, 'service_healthy', name)
  }
  assert.deepEqual(clusterService('clickhouse-1').ports, ['127.0.0.1:8123:8123'])
  assert.deepEqual(clusterService('clickhouse-2').ports, ['127.0.0.1:8124:8123'])
  assert.equal(clusterService('keeper').ports, undefined, 'Keeper stays inside the network')
})

test('cluster: the pipeline services talk to one replica with CLICKHOUSE_CLUSTER naming the cluster', () => {
  const name = /<remote_servers>\s*<(\w+)>/.exec(clusterConfig('cluster.xml'))?.[1]
  const replica = clusterService('clickhouse-1').environment ?? {}
  for (const [service, port] of Object.entries(PIPELINE)) {
    const svc = clusterService(service)
    assert.deepEqual(svc.build, { context: '.', dockerfile: 'services/Dockerfile' }, service)
    assert.equal(svc.command?.[0], `services/${service}/src/main.ts`)
    assert.equal(svc.environment?.['KAFKA_BROKERS'], 'kafka:9092', service)
    assert.deepEqual(svc.ports, [`127.0.0.1:${port}:${port}`], service)
  }
  for (const service of ['sink', 'signals']) {
    const env = clusterService(service).environment ?? {}
    assert.equal(env['CLICKHOUSE_URL'], 'http://clickhouse-1:8123', service)
    assert.equal(env['CLICKHOUSE_CLUSTER'], name, service)
    assert.equal(env['CLICKHOUSE_DATABASE'], replica['CLICKHOUSE_DB'], service)
    assert.equal(env['CLICKHOUSE_USER'], replica['CLICKHOUSE_USER'], service)
    assert.equal(env['CLICKHOUSE_PASSWORD'], replica['CLICKHOUSE_PASSWORD'], service)
    assert.equal(env['SCHEMA_REGISTRY_URL'], 'http://schema-registry:8080/apis/ccompat/v7', service)
    for (const server of REPLICAS) assert.equal(clusterService(service).depends_on?.[server]?.condition, 'service_healthy', service)
  }
  assert.deepEqual(clusterService('simulator').profiles, ['simulator'])
})
