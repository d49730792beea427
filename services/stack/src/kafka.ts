import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { TrendsError } from '@trends/core'
import type { Logger } from '@trends/logger'
import { createKafka, waitForKafka } from '@trends/kafka'
import { kafkaBootstrap, PROJECT_ROOT, type StackConfig } from './config.ts'
import { findJava, type JavaRuntime } from './java.ts'
import { ensureKafkaJars } from './maven.ts'
import { assertPortFree } from './ports.ts'
import { isAlive, readRecord, startDetached, tailLines, type ProcessRecord } from './processes.ts'

export const KAFKA = 'kafka'

export function kafkaPaths(config: StackConfig) {
  const home = path.join(config.dataDir, 'kafka')
  return {
    home,
    logDirs: path.join(home, 'data'),
    serverLogs: path.join(home, 'server-logs'),
    properties: path.join(home, 'server.properties'),
    log4j: path.join(home, 'log4j2.properties'),
  }
}

/**
 * One combined broker+controller node on loopback. The quorum is static (`controller.quorum.voters`)
 * rather than formatted with `--standalone`, so the controller port can change between runs without
 * rewriting the metadata log.
 */
export function serverProperties(config: StackConfig): string {
  const { host, port, controllerPort } = config.kafka
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${kafkaPaths(config).logDirs}`,
    'num.partitions=1',
    'auto.create.topics.enable=true',
    // A single node cannot hold three replicas of the internal topics; with the default of 3 the
    // group and transaction coordinators never become available.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // 4.x dropped this from its sample config; the 3 s default slows every first join in tests.
    'group.initial.rebalance.delay.ms=0',
    '',
  ]
  return lines.join('\n')
}

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`

/**
 * A formatted log dir holds meta.properties with a cluster.id. A folder with files but no valid
 * meta.properties is not something we can safely format over, so we stop and say so.
 */
export function checkLogDirs(logDirs: string): 'empty' | 'formatted' {
  if (!existsSync(logDirs) || readdirSync(logDirs).length === 0) return 'empty'
  const meta = path.join(logDirs, 'meta.properties')
  const fix = `move ${logDirs} aside (or run \`npm run stack -- reset\` to delete all local stack data) and start again`
  if (!existsSync(meta)) {
    throw new TrendsError('STACK_DATA_CORRUPT', `Kafka data folder ${logDirs} has files but no meta.properties; ${fix}`)
  }
  const text = readFileSync(meta, 'utf8')
  if (!/^cluster\.id=\S+$/m.test(text) || !/^node\.id=1$/m.test(text)) {
    throw new TrendsError('STACK_DATA_CORRUPT', `Kafka data folder ${logDirs} has an unreadable meta.properties; ${fix}`)
  }
  return 'formatted'
}

function runStorageTool(java: string, classpath: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(java, ['-cp', classpath, 'kafka.tools.StorageTool', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() }
}

export function kafkaMarker(config: StackConfig): string {
  return `-Dtrends.stack.kafka=${config.dataDir}`
}

export async function kafkaReady(config: StackConfig, logger: Logger, timeoutMs: number): Promise<boolean> {
  const kafka = createKafka(
    { brokers: [kafkaBootstrap(config)], clientId: 'trends-stack', ssl: false },
    { logger: logger.child({}, { level: 'silent' }), overrides: { connectionTimeout: 1000, retry: { retries: 0 } } },
  )
  try {
    await waitForKafka(kafka, timeoutMs)
    return true
  } catch {
    return false
  }
}

/** Everything that must hold before Kafka starts: a Java 17+, sound log dirs, free ports. */
export async function preflightKafka(config: StackConfig): Promise<{ java: JavaRuntime; state: 'empty' | 'formatted' }> {
  const java = findJava(17, 'Apache Kafka 4.x', config.kafka.javaHome, 'KAFKA_JAVA_HOME')
  const state = checkLogDirs(kafkaPaths(config).logDirs)
  await assertPortFree(config.kafka.host, config.kafka.port, 'Kafka', 'STACK_KAFKA_PORT')
  await assertPortFree(config.kafka.host, config.kafka.controllerPort, 'the Kafka controller', 'STACK_KAFKA_CONTROLLER_PORT')
  return { java, state }
}

export async function startKafka(config: StackConfig, progress: (line: string) => void): Promise<ProcessRecord> {
  const { java, state } = await preflightKafka(config)
  const paths = kafkaPaths(config)

  progress(`resolving Apache Kafka ${config.kafka.version} with Maven (downloads only on first run)`)
  const lib = await ensureKafkaJars(
    config.cacheDir,
    {
      version: config.kafka.version,
      log4jVersion: config.kafka.log4jVersion,
      pom: path.join(PROJECT_ROOT, 'services/stack/maven/kafka-pom.xml'),
    },
    { command: config.mavenCommand, logFile: path.join(config.dataDir, 'logs', 'maven.log'), progress },
  )
  const classpath = `${lib}/*`
  mkdirSync(paths.serverLogs, { recursive: true })
  writeFileSync(paths.properties, serverProperties(config))
  writeFileSync(paths.log4j, LOG4J2)

  if (state === 'empty') {
    const uuid = runStorageTool(java.bin, classpath, ['random-uuid'])
    const clusterId = uuid.output.split('\n').at(-1)?.trim() ?? ''
    if (!uuid.ok || !/^[A-Za-z0-9_-]{22}$/.test(clusterId)) {
      throw new TrendsError(
        'STACK_START_FAILED',
        `Kafka's storage tool could not make a cluster id: ${uuid.output.split('\n').at(-1) ?? ''}`,
      )
    }
    const format = runStorageTool(java.bin, classpath, ['format', '-t', clusterId, '-c', paths.properties, '--ignore-formatted'])
    if (!format.ok) {
      throw new TrendsError('STACK_DATA_CORRUPT', `formatting ${paths.logDirs} failed: ${format.output.split('\n').at(-1) ?? ''}`)
    }
    progress(`formatted Kafka storage in ${paths.logDirs} (cluster id ${clusterId})`)
  }

  return startDetached({
    dataDir: config.dataDir,
    name: KAFKA,
    command: java.bin,
    args: [
      `-Xmx${config.kafka.heap}`,
      `-Xms${config.kafka.heap}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      kafkaMarker(config),
      `-Dlog4j2.configurationFile=${paths.log4j}`,
      `-Dkafka.logs.dir=${paths.serverLogs}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      paths.properties,
    ],
    cwd: paths.home,
    marker: kafkaMarker(config),
  })
}

export function runningKafka(config: StackConfig): ProcessRecord | undefined {
  const record = readRecord(config.dataDir, KAFKA)
  return record !== undefined && isAlive(record) ? record : undefined
}

/** The most telling line of a failed start: the last ERROR (or the last line) of its log. */
export function failureLine(logFile: string): string {
  const lines = tailLines(logFile, 300)
  const error = [...lines].reverse().find((line) => /\bERROR\b|Exception|Error:/.test(line))
  return (error ?? lines.at(-1) ?? 'no output').trim().slice(0, 400)
}
