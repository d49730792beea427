import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, readdirSync, createWriteStream } from 'node:fs'
import path from 'node:path'
import { TrendsError } from '@trends/core'
import { tailLines } from './processes.ts'

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1'

export interface MavenOptions {
  command: string
  logFile: string
  /** Told what Maven has downloaded so far, every few seconds while it downloads, and once at its end. */
  progress?: (line: string) => void
}

const UNITS: Readonly<Record<string, number>> = { B: 1, kB: 1000, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3 }

/**
 * The size of a file Maven says it downloaded (`[INFO] Downloaded from <repo>: <url> (1.2 MB at 3.4
 * MB/s)` in batch mode; older Mavens leave out the level), in bytes; undefined for any other line.
 */
export function downloadedBytes(line: string): number | undefined {
  const match = /^(?:\[INFO\] )?Downloaded from [^:]+: \S+ \((\d+(?:[.,]\d+)?) (B|kB|KB|MB|GB)\b/.exec(line)
  if (match === null) return undefined
  return Number(match[1]!.replace(',', '.')) * (UNITS[match[2]!] ?? 1)
}

/** `Maven: 87 files downloaded (41.2 MB)` */
export function downloadLine(files: number, bytes: number, done: boolean): string {
  return `Maven: ${files} file${files === 1 ? '' : 's'} downloaded (${(bytes / 1000 ** 2).toFixed(1)} MB)${done ? '' : ' so far'}`
}

/** How often a download in progress is reported. */
const REPORT_EVERY_MS = 2000

/**
 * Runs Maven in batch mode with its output in a log file, counting the files it downloads so a first
 * start says how far it is; a missing Maven or a failed run is a one-line error.
 */
async function runMaven(options: MavenOptions, args: string[], what: string, cwd: string): Promise<void> {
  mkdirSync(path.dirname(options.logFile), { recursive: true })
  const log = createWriteStream(options.logFile, { flags: 'a' })
  await new Promise<void>((resolve) => log.once('open', () => resolve()))
  let files = 0
  let bytes = 0
  let reportedAt = Date.now()
  let pending = ''
  const scan = (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const size = downloadedBytes(line.trim())
      if (size === undefined) continue
      files++
      bytes += size
      if (Date.now() - reportedAt >= REPORT_EVERY_MS) {
        reportedAt = Date.now()
        options.progress?.(downloadLine(files, bytes, false))
      }
    }
  }
  const code = await new Promise<number | 'missing'>((resolve, reject) => {
    const child = spawn(options.command, ['-B', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', scan)
      stream.pipe(log, { end: false })
    }
    child.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve('missing') : reject(error)))
    child.once('close', (exitCode) => resolve(exitCode ?? 1))
  })
  await new Promise<void>((resolve) => log.end(() => resolve()))
  if (files > 0) options.progress?.(downloadLine(files, bytes, true))
  if (code === 'missing') {
    throw new TrendsError(
      'STACK_PREREQUISITE_MISSING',
      `Maven ("${options.command}") was not found; it resolves ${what} from Maven Central: install it (apt-get install maven) or set MAVEN to its path`,
    )
  }
  if (code !== 0) {
    const errorLine = tailLines(options.logFile, 200).find((line) => line.includes('[ERROR]')) ?? 'see the log'
    throw new TrendsError(
      'STACK_DOWNLOAD_FAILED',
      `Maven could not resolve ${what} (exit ${code}): ${errorLine.replace('[ERROR]', '').trim()} — full output in ${options.logFile}`,
      { retryable: true },
    )
  }
}

/**
 * Fills `<dir>` once: Maven writes into a temporary sibling that is renamed into place only after
 * the run succeeded, so an interrupted download never leaves a half-filled folder behind.
 */
async function fillOnce(dir: string, fill: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(path.join(dir, '.complete'))) return dir
  const tmp = `${dir}.partial-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  try {
    await fill(tmp)
    writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`)
    rmSync(dir, { recursive: true, force: true })
    renameSync(tmp, dir)
    return dir
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

export interface KafkaArtifacts {
  version: string
  log4jVersion: string
  pom: string
}

/** Resolves kafka_2.13 and its runtime dependencies into `<cacheDir>/kafka-<version>/lib`. */
export async function ensureKafkaJars(cacheDir: string, artifacts: KafkaArtifacts, maven: MavenOptions): Promise<string> {
  const dir = await fillOnce(path.join(cacheDir, `kafka-${artifacts.version}`), async (tmp) => {
    await runMaven(
      maven,
      [
        '-f',
        artifacts.pom,
        `${DEPENDENCY_PLUGIN}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(tmp, 'lib')}`,
        `-Dkafka.version=${artifacts.version}`,
        `-Dlog4j.version=${artifacts.log4jVersion}`,
      ],
      `Apache Kafka ${artifacts.version}`,
      tmp,
    )
    const jars = readdirSync(path.join(tmp, 'lib'))
    if (!jars.includes(`kafka_2.13-${artifacts.version}.jar`)) {
      throw new TrendsError('STACK_DOWNLOAD_FAILED', `Maven finished but kafka_2.13-${artifacts.version}.jar is missing`)
    }
  })
  return path.join(dir, 'lib')
}

/** Unpacks Apicurio Registry's runnable archive (`apicurio-registry-app:<v>:tar.gz:all`) into the cache. */
export async function ensureRegistryApp(cacheDir: string, version: string, maven: MavenOptions): Promise<string> {
  return fillOnce(path.join(cacheDir, `apicurio-registry-${version}`), async (tmp) => {
    await runMaven(
      maven,
      [`${DEPENDENCY_PLUGIN}:unpack`, `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`, `-DoutputDirectory=${tmp}`],
      `Apicurio Registry ${version}`,
      tmp,
    )
    if (!existsSync(path.join(tmp, 'quarkus-run.jar'))) {
      throw new TrendsError('STACK_DOWNLOAD_FAILED', `the Apicurio Registry ${version} archive has no quarkus-run.jar`)
    }
  })
}
