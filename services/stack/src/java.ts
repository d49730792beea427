import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { TrendsError } from '@trends/core'

export interface JavaRuntime {
  bin: string
  major: number
}

/** Reads the major version from `java -version` output (`version "17.0.15"`, `"1.8.0_392"`, `"25"`). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput)
  if (match === null) return undefined
  const first = Number(match[1])
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first
}

function probe(bin: string): JavaRuntime | undefined {
  const result = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 20_000 })
  if (result.error !== undefined || result.status !== 0) return undefined
  const major = parseJavaMajor(`${result.stderr}${result.stdout}`)
  return major === undefined ? undefined : { bin, major }
}

const JVM_DIRS = ['/usr/lib/jvm', '/usr/java', '/opt/java']

function installedJavaBins(): string[] {
  const bins: string[] = []
  for (const dir of JVM_DIRS) {
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir).sort()) {
      const bin = path.join(dir, entry, 'bin', 'java')
      if (existsSync(bin)) bins.push(bin)
    }
  }
  return bins
}

/**
 * Finds a Java runtime of at least `minMajor`: the explicit home first (and only it, when given),
 * then JAVA_HOME, the `java` on PATH, and the JDKs installed under the usual folders.
 */
export function findJava(minMajor: number, purpose: string, explicitHome: string | undefined, envKey: string): JavaRuntime {
  if (explicitHome !== undefined) {
    const runtime = probe(path.join(explicitHome, 'bin', 'java'))
    if (runtime !== undefined && runtime.major >= minMajor) return runtime
    throw new TrendsError(
      'STACK_PREREQUISITE_MISSING',
      `${envKey}=${explicitHome} is not a Java ${minMajor}+ runtime (${purpose} needs one); point it at a JDK ${minMajor} or newer`,
    )
  }
  const candidates = [
    ...(process.env['JAVA_HOME'] === undefined ? [] : [path.join(process.env['JAVA_HOME'], 'bin', 'java')]),
    'java',
    ...installedJavaBins(),
  ]
  const seen: JavaRuntime[] = []
  for (const bin of candidates) {
    const runtime = probe(bin)
    if (runtime === undefined) continue
    if (runtime.major >= minMajor) return runtime
    seen.push(runtime)
  }
  const found = seen.length === 0 ? 'no Java was found' : `found only Java ${[...new Set(seen.map((r) => r.major))].join(', ')}`
  throw new TrendsError(
    'STACK_PREREQUISITE_MISSING',
    `${purpose} needs Java ${minMajor} or newer and ${found}; install a JDK ${minMajor}+ (e.g. apt-get install openjdk-17-jdk-headless, or Temurin 21/25) or set ${envKey}`,
  )
}
