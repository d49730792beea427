/**
 * `npm run clickhouse:serve` as a process: what it does with an unsafe password file, and the
 * credentials it serves with. Each test starts the command, so this sits outside the unit tier.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensurePassword, passwordFile, readPassword } from '@trends/clickhouse'
import { defer, freePort, type Cleanup } from '@trends/testing'

const SERVE = path.resolve(import.meta.dirname, '../../packages/clickhouse/src/serve-main.ts')

function folder(t: Cleanup): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-password-'))
  defer(t, () => rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'clickhouse')
}

test('npm run clickhouse:serve with an unsafe password file: exit 2, one line, the password never printed', async (t) => {
  const store = folder(t)
  const password = ensurePassword(store)
  chmodSync(passwordFile(store), 0o644)
  const child = spawn(process.execPath, [SERVE], {
    env: { ...process.env, CLICKHOUSE_PATH: store, CLICKHOUSE_HTTP_PORT: '1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
  assert.equal(code, 2, output)
  assert.match(output, /^clickhouse-serve: .*http-password is readable by group or others \(mode 644\): chmod 600 it.*\n$/)
  assert.ok(!output.includes(password))
})

/** `npm run clickhouse:serve` on a folder of its own, stopped after the test; resolves once /ping answers. */
async function serveMain(t: Cleanup, env: Record<string, string>): Promise<{ url: string; output: () => string }> {
  const port = await freePort()
  const child = spawn(process.execPath, [SERVE], {
    env: { ...process.env, CLICKHOUSE_HTTP_PORT: String(port), LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (
    !(await fetch(`${url}/ping`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`clickhouse:serve did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, output: () => output }
}

const select = (url: string, user?: string, password?: string) =>
  fetch(url, {
    method: 'POST',
    body: 'SELECT 1',
    headers: user === undefined ? {} : { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  }).then(async (response) => [response.status, await response.text()])

test('npm run clickhouse:serve: the generated password by default (logged as a path, never itself); CLICKHOUSE_HTTP_USERS instead, and then no file', async (t) => {
  const generated = folder(t)
  const served = await serveMain(t, { CLICKHOUSE_PATH: generated })
  const password = readPassword(generated)
  assert.ok(password !== undefined)
  assert.deepEqual(await select(served.url, 'default', password), [200, '1\n'])
  assert.equal((await select(served.url))[0], 401)
  assert.match(served.output(), /"credentialsFile":"[^"]*http-password"/)
  assert.ok(!served.output().includes(password))

  const explicit = folder(t)
  const given = await serveMain(t, { CLICKHOUSE_PATH: explicit, CLICKHOUSE_HTTP_USERS: 'analyst:a-long-password' })
  assert.deepEqual(await select(given.url, 'analyst', 'a-long-password'), [200, '1\n'])
  assert.equal((await select(given.url))[0], 401)
  assert.equal((await select(given.url, 'default', ''))[0], 401)
  assert.equal(existsSync(passwordFile(explicit)), false, 'no password file with explicit users')
  assert.ok(!given.output().includes('a-long-password'))
})
