import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { defer } from '@trends/testing'
import { isolatedStackEnv, runStack, type CliResult } from './cli.ts'

/** One line on stderr that names the cause; a non-zero exit; nothing started. */
function assertOneLineError(result: CliResult, code: string, pattern: RegExp, dataDir: string): void {
  assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`)
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('stack: ') && !line.includes('resolving'))
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0] ?? '', new RegExp(`^stack: ${code}: `))
  assert.match(lines[0] ?? '', pattern)
  const run = path.join(dataDir, 'run')
  assert.deepEqual(existsSync(run) ? readdirSync(run) : [], [], 'no process was left recorded as started')
}

test('a taken Kafka port: one line naming the port and the variable to change', async (t) => {
  const env = await isolatedStackEnv(t)
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: Number(env.STACK_KAFKA_PORT) }, resolve))
  defer(t, () => new Promise((resolve) => blocker.close(resolve)))
  const result = await runStack(['up'], env)
  assertOneLineError(
    result,
    'STACK_PORT_IN_USE',
    new RegExp(`127\\.0\\.0\\.1:${env.STACK_KAFKA_PORT} for Kafka .*STACK_KAFKA_PORT`),
    env.STACK_DATA_DIR,
  )
})

test('a Java home that is not a Java: one line naming the variable and what is needed', async (t) => {
  const env = { ...(await isolatedStackEnv(t)), KAFKA_JAVA_HOME: '/nonexistent/jdk' }
  const result = await runStack(['up'], env)
  assertOneLineError(
    result,
    'STACK_PREREQUISITE_MISSING',
    /KAFKA_JAVA_HOME=\/nonexistent\/jdk is not a Java 17\+ runtime/,
    env.STACK_DATA_DIR,
  )
})

test('a Java too old for the registry: one line saying it needs Java 21', async (t) => {
  const java17 = ['/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/java-1.17.0-openjdk-amd64'].find((dir) =>
    existsSync(`${dir}/bin/java`),
  )
  assert.ok(java17 !== undefined, 'a Java 17 JDK is installed (Kafka runs on it)')
  const env = { ...(await isolatedStackEnv(t)), REGISTRY_JAVA_HOME: java17 }
  const result = await runStack(['up'], env)
  assertOneLineError(result, 'STACK_PREREQUISITE_MISSING', /REGISTRY_JAVA_HOME=.* is not a Java 21\+ runtime/, env.STACK_DATA_DIR)
})

test('Maven missing with nothing downloaded yet: one line saying how to install it', async (t) => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'trends-empty-cache-'))
  defer(t, () => rmSync(cacheDir, { recursive: true, force: true }))
  const env = { ...(await isolatedStackEnv(t)), MAVEN: '/nonexistent/mvn', STACK_CACHE_DIR: cacheDir }
  const result = await runStack(['up'], env)
  assertOneLineError(result, 'STACK_PREREQUISITE_MISSING', /Maven .* was not found.*apt-get install maven/, env.STACK_DATA_DIR)
  assert.deepEqual(readdirSync(cacheDir), [], 'no half-filled download folder is left behind')
})

test('a corrupt Kafka data folder: one line saying what to move, and the folder is left untouched', async (t) => {
  const env = await isolatedStackEnv(t)
  const logDirs = path.join(env.STACK_DATA_DIR, 'kafka', 'data')
  mkdirSync(path.join(logDirs, 'tiktok.raw.hashtags-0'), { recursive: true })
  const segment = path.join(logDirs, 'tiktok.raw.hashtags-0', '00000000000000000000.log')
  writeFileSync(segment, 'precious bytes')
  const result = await runStack(['up'], env)
  assertOneLineError(result, 'STACK_DATA_CORRUPT', /no meta\.properties; move .* aside/, env.STACK_DATA_DIR)
  assert.equal(readFileSync(segment, 'utf8'), 'precious bytes')
})

test('invalid settings are all listed before anything starts', async (t) => {
  // A duration without its unit, and a setting read as milliseconds before durations took one.
  const env = { ...(await isolatedStackEnv(t)), STACK_KAFKA_PORT: 'abc', STACK_START_TIMEOUT: '5', STACK_START_TIMEOUT_MS: '120000' }
  const result = await runStack(['up'], env)
  assert.equal(result.code, 1)
  assert.match(result.stderr, /CONFIG_INVALID/)
  assert.match(result.stderr, /STACK_KAFKA_PORT: set an integer/)
  assert.match(result.stderr, /STACK_START_TIMEOUT: a duration of at least 1s, such as 500ms, 90s/)
  assert.match(result.stderr, /STACK_START_TIMEOUT_MS: no longer read; set STACK_START_TIMEOUT, a duration such as 2m/)
})

test('a first start says what Maven has downloaded while it runs; a failed download is one line naming the log', async (t) => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'trends-empty-cache-'))
  defer(t, () => rmSync(cacheDir, { recursive: true, force: true }))
  // A stand-in for Maven that prints what Maven's batch mode prints about downloads (3.8 and later
  // with the level first, older ones without), then fails.
  const maven = path.join(cacheDir, '..', `fake-mvn-${process.pid}-${Date.now()}.sh`)
  writeFileSync(
    maven,
    [
      '#!/bin/sh',
      'echo "[INFO] Scanning for projects..."',
      'echo "Downloading from central: https://repository.invalid/org/a/1/a-1.pom"',
      'echo "Downloaded from central: https://repository.invalid/org/a/1/a-1.pom (2.1 kB at 10 kB/s)"',
      'echo "[INFO] Downloaded from central: https://repository.invalid/org/b/1/b-1.jar (1.5 MB at 3.0 MB/s)"',
      'sleep 2.5',
      'echo "Downloaded from central: https://repository.invalid/org/c/1/c-1.jar (512 B at 1 kB/s)"',
      'echo "[ERROR] Failed to execute goal: could not resolve dependencies"',
      'exit 1',
    ].join('\n'),
    { mode: 0o755 },
  )
  defer(t, () => rmSync(maven, { force: true }))
  const env = { ...(await isolatedStackEnv(t)), MAVEN: maven, STACK_CACHE_DIR: cacheDir }
  const result = await runStack(['up'], env)
  assert.equal(result.code, 1, result.stderr)
  const lines = result.stderr.trim().split('\n')
  const said = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line))
  const resolving = said(/^stack: resolving Apache Kafka .* with Maven/)
  const soFar = said(/^stack: Maven: 3 files downloaded \(1\.5 MB\) so far$/)
  const total = said(/^stack: Maven: 3 files downloaded \(1\.5 MB\)$/)
  const failed = said(
    /^stack: STACK_DOWNLOAD_FAILED: Maven could not resolve Apache Kafka .*could not resolve dependencies — full output in .*maven\.log/,
  )
  assert.ok(resolving >= 0 && soFar > resolving && total > soFar && failed > total, result.stderr)
  assert.deepEqual(readdirSync(cacheDir), [], 'no half-filled download folder is left behind')
})
