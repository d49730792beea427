/**
 * The two tiers (test/support/tiers.ts): every test file of the repository is in exactly one, and
 * the unit tier's guard, run as npm test runs it on small test files written here, lets a file talk
 * to its own server but fails one that reaches Kafka, a port nobody in its process serves, or
 * starts a process, naming it, even when the test itself swallows the refusal.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { globSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '@trends/testing'
import { INTEGRATION_PATTERNS, isUnitFile, UNIT_FLAGS, UNIT_PATTERNS } from './support/tiers.ts'

interface Run {
  code: number | null
  output: string
  passed: number
}

/** Runs one test file as the unit tier runs its files. */
async function underGuard(t: { after: (fn: () => void) => void }, source: string): Promise<Run> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-unit-tier-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'probe.test.ts')
  writeFileSync(file, source)
  // This file runs as a test runner's child itself; the runner started here must not think so too.
  const env = { ...process.env }
  delete env['NODE_TEST_CONTEXT']
  const child = spawn(process.execPath, [...UNIT_FLAGS, file], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, output, passed: Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? -1) }
}

/** The broker the integration tier uses; the stack is running while this file runs. */
function broker(): { host: string; port: number } {
  const [host = '127.0.0.1', port = '9092'] = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',')[0]!.split(':')
  return { host, port: Number(port) }
}

const ROOT = path.resolve(import.meta.dirname, '..')

test('every test file of the repository runs in exactly one tier', () => {
  const matched = (patterns: string[]) => new Set(patterns.flatMap((pattern) => globSync(pattern, { cwd: ROOT })))
  const unit = matched(UNIT_PATTERNS)
  const integration = matched(INTEGRATION_PATTERNS)
  const all = globSync('**/*.test.ts', { cwd: ROOT, exclude: (name) => name === 'node_modules' || name.startsWith('.') })
  assert.ok(unit.size > 40 && integration.size > 40, `${unit.size} unit and ${integration.size} integration files`)
  for (const file of all) {
    assert.equal(Number(unit.has(file)) + Number(integration.has(file)), 1, `${file}: in no tier or in both`)
    assert.equal(isUnitFile(file), unit.has(file), file)
  }
  assert.equal(isUnitFile('./services/cli/test/status.test.ts'), true)
  assert.equal(isUnitFile('test/cli/run.test.ts'), false)
  assert.equal(isUnitFile('services/cli/src/status.ts'), false)
})

const HEADER = `import { test } from 'node:test'\nimport assert from 'node:assert/strict'\n`

test('a test talking to an HTTP server of its own process passes the guard', async (t) => {
  const run = await underGuard(
    t,
    `${HEADER}import { createServer } from 'node:http'
test('own server', async () => {
  const server = createServer((_request, response) => response.end('pong'))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  assert.equal(await (await fetch('http://127.0.0.1:' + port + '/')).text(), 'pong')
  await new Promise((resolve) => server.close(resolve))
})
`,
  )
  assert.equal(run.code, 0, run.output)
  assert.equal(run.passed, 1)
  assert.doesNotMatch(run.output, /unit tier:/)
})

test('a connection to Kafka fails the file and names it, though the test swallowed the error', async (t) => {
  const { host, port } = broker()
  const run = await underGuard(
    t,
    `${HEADER}import net from 'node:net'
test('reaches the broker', async () => {
  const socket = net.connect(${port}, '${host}')
  const outcome = await new Promise((resolve) => { socket.once('connect', () => resolve('connected')); socket.once('error', (error) => resolve(error.code)) })
  socket.destroy()
  assert.equal(outcome, 'UNIT_TIER_REFUSED')
})
`,
  )
  assert.equal(run.code, 1, run.output)
  assert.equal(run.passed, 1, 'the test itself passed; the file fails')
  assert.match(
    run.output,
    new RegExp(
      `unit tier: \\S*probe\\.test\\.ts connected to ${host.replace(/\./g, '\\.')}:${port}, which no server of its own process answers`,
    ),
  )
  assert.match(run.output, /belongs in the top-level test\/ folder/)
})

test('fetch to a port no server of the process listens on is refused', async (t) => {
  const port = await freePort()
  const run = await underGuard(
    t,
    `${HEADER}test('registry-like request', async () => {
  await assert.rejects(fetch('http://localhost:${port}/subjects'))
})
`,
  )
  assert.equal(run.code, 1, run.output)
  assert.match(run.output, new RegExp(`connected to localhost:${port}`))
})

test('starting a process, asynchronously or not, fails the file', async (t) => {
  const run = await underGuard(
    t,
    `${HEADER}import { spawn, execFileSync, spawnSync } from 'node:child_process'
test('starts java and node', () => {
  for (const start of [() => spawn('java', ['-version']), () => execFileSync(process.execPath, ['-v']), () => spawnSync('sh', ['-c', 'true'])])
    try { start() } catch {}
})
`,
  )
  assert.equal(run.code, 1, run.output)
  for (const name of ['java', path.basename(process.execPath), 'sh'])
    assert.match(run.output, new RegExp(`started a process \\(${name}\\)`))
})
