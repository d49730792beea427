import path from 'node:path'
import { readEnv } from '@trends/core'
import { readClickHouseSettings, type ClickHouseSettings } from '@trends/clickhouse'

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../../..')

export interface StackConfig {
  /** Downloaded artifacts: Kafka jars, the registry archive. Safe to delete; re-downloaded on `up`. */
  cacheDir: string
  /** Runtime state: Kafka log dirs, the registry database, pid files, process logs. */
  dataDir: string
  mavenCommand: string
  kafka: {
    version: string
    log4jVersion: string
    host: string
    port: number
    controllerPort: number
    heap: string
    startTimeoutMs: number
    /** Java 17 or newer runs Kafka 4.x. */
    javaHome?: string
  }
  registry: {
    version: string
    host: string
    port: number
    managementPort: number
    heap: string
    startTimeoutMs: number
    /** Apicurio Registry 3.3 is compiled for Java 21, so it needs Java 21 or newer. */
    javaHome?: string
  }
  clickhouse: ClickHouseSettings
}

/**
 * Every setting has a default that works on a developer machine; the environment overrides it.
 * Problems are collected and reported together before anything starts.
 */
export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const read = readEnv(env)
  const kafkaJavaHome = read.optionalString('KAFKA_JAVA_HOME')
  const registryJavaHome = read.optionalString('REGISTRY_JAVA_HOME')
  const startTimeoutMs = read.duration('STACK_START_TIMEOUT', '2m', { min: '1s', formerly: 'STACK_START_TIMEOUT_MS' })
  const config: StackConfig = {
    cacheDir: path.resolve(read.string('STACK_CACHE_DIR', path.join(PROJECT_ROOT, '.cache'))),
    dataDir: path.resolve(read.string('STACK_DATA_DIR', path.join(PROJECT_ROOT, '.data'))),
    mavenCommand: read.string('MAVEN', 'mvn'),
    kafka: {
      version: read.string('STACK_KAFKA_VERSION', '4.3.1'),
      log4jVersion: read.string('STACK_LOG4J_VERSION', '2.25.3'),
      host: '127.0.0.1',
      port: read.port('STACK_KAFKA_PORT', 9092),
      controllerPort: read.port('STACK_KAFKA_CONTROLLER_PORT', 9093),
      heap: read.string('STACK_KAFKA_HEAP', '512m'),
      startTimeoutMs,
      ...(kafkaJavaHome === undefined ? {} : { javaHome: kafkaJavaHome }),
    },
    registry: {
      version: read.string('STACK_REGISTRY_VERSION', '3.3.3'),
      host: '127.0.0.1',
      port: read.port('STACK_REGISTRY_PORT', 8081),
      managementPort: read.port('STACK_REGISTRY_MANAGEMENT_PORT', 8091),
      heap: read.string('STACK_REGISTRY_HEAP', '384m'),
      startTimeoutMs,
      ...(registryJavaHome === undefined ? {} : { javaHome: registryJavaHome }),
    },
    clickhouse: readClickHouseSettings(read),
  }
  const ports = [config.kafka.port, config.kafka.controllerPort, config.registry.port, config.registry.managementPort]
  if (new Set(ports).size !== ports.length) {
    read.problem('STACK_*_PORT: the Kafka, controller, registry and registry management ports must all differ')
  }
  read.done()
  return config
}

export function kafkaBootstrap(config: StackConfig): string {
  return `${config.kafka.host}:${config.kafka.port}`
}

export function registryUrl(config: StackConfig): string {
  return `http://${config.registry.host}:${config.registry.port}/apis/ccompat/v7`
}
