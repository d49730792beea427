import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { registryUrl, type StackConfig } from './config.ts'
import { findJava, type JavaRuntime } from './java.ts'
import { ensureRegistryApp } from './maven.ts'
import { assertPortFree } from './ports.ts'
import { isAlive, readRecord, startDetached, type ProcessRecord } from './processes.ts'

export const REGISTRY = 'registry'

export function registryMarker(config: StackConfig): string {
  return `-Dtrends.stack.registry=${config.dataDir}`
}

/** True when the Confluent-compatible API answers a subject listing. */
export async function registryReady(config: StackConfig): Promise<boolean> {
  try {
    const response = await fetch(`${registryUrl(config)}/subjects`, { signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    return response.ok
  } catch {
    return false
  }
}

/**
 * Apicurio Registry 3.x from its runnable archive on Maven Central. Its default storage is an
 * in-memory H2 database, which would forget every schema on restart while Kafka keeps records that
 * point at their ids; we give it an H2 file in the data folder instead.
 */
/** Everything that must hold before the registry starts; returns the Java runtime to use. */
export async function preflightRegistry(config: StackConfig): Promise<JavaRuntime> {
  // 3.3.x is compiled for Java 21 (class file 65); on Java 17 it fails with UnsupportedClassVersionError.
  const java = findJava(21, `Apicurio Registry ${config.registry.version}`, config.registry.javaHome, 'REGISTRY_JAVA_HOME')
  await assertPortFree(config.registry.host, config.registry.port, 'the schema registry', 'STACK_REGISTRY_PORT')
  await assertPortFree(
    config.registry.host,
    config.registry.managementPort,
    'the schema registry management interface',
    'STACK_REGISTRY_MANAGEMENT_PORT',
  )
  return java
}

export async function startRegistry(config: StackConfig, progress: (line: string) => void): Promise<ProcessRecord> {
  const java = await preflightRegistry(config)
  progress(`resolving Apicurio Registry ${config.registry.version} with Maven (downloads only on first run)`)
  const app = await ensureRegistryApp(config.cacheDir, config.registry.version, {
    command: config.mavenCommand,
    logFile: path.join(config.dataDir, 'logs', 'maven.log'),
    progress,
  })
  const home = path.join(config.dataDir, 'registry')
  mkdirSync(home, { recursive: true })
  return startDetached({
    dataDir: config.dataDir,
    name: REGISTRY,
    command: java.bin,
    args: [
      `-Xmx${config.registry.heap}`,
      registryMarker(config),
      `-Dquarkus.http.host=${config.registry.host}`,
      `-Dquarkus.http.port=${config.registry.port}`,
      `-Dquarkus.management.host=${config.registry.host}`,
      `-Dquarkus.management.port=${config.registry.managementPort}`,
      `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(home, 'registry')}`,
      '-Dapicurio.datasource.jdbc.initial-size=2',
      '-Dapicurio.datasource.jdbc.min-size=2',
      '-Dapicurio.datasource.jdbc.max-size=20',
      `-Dapicurio.storage.snapshot.location=${home}`,
      '-Dquarkus.log.console.json=false',
      '-jar',
      path.join(app, 'quarkus-run.jar'),
    ],
    cwd: home,
    marker: registryMarker(config),
  })
}

export function runningRegistry(config: StackConfig): ProcessRecord | undefined {
  const record = readRecord(config.dataDir, REGISTRY)
  return record !== undefined && isAlive(record) ? record : undefined
}
