import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensurePassword, passwordFile, PasswordFileError, readPassword } from '@trends/clickhouse'
import { defer, freePort, type Cleanup } from '@trends/testing'

const SERVE = path.resolve(import.meta.dirname, '../src/serve-main.ts')

function folder(t: Cleanup): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-password-'))
  defer(t, () => rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'clickhouse')
}

const refusedWith = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof PasswordFileError, String(error))
  assert.equal(error.code, 'CLICKHOUSE_PASSWORD_FILE')
  assert.match(error.message, pattern)
  assert.doesNotMatch(error.message, /\n/, 'one line')
  return true
}

test('made once with mode 0600 whatever the umask, reused after; nothing half-written is left behind', (t) => {
  const store = folder(t)
  assert.equal(readPassword(store), undefined, 'none before the first start')
  const umask = process.umask(0o000)
  let made: string
  try {
    made = ensurePassword(store)
  } finally {
    process.umask(umask)
  }
  assert.match(made, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(statSync(passwordFile(store)).mode & 0o777, 0o600)
  assert.equal(ensurePassword(store), made)
  assert.equal(readPassword(store), made)
  assert.deepEqual(readdirSync(store), ['http-password'], 'no temporary file left')
  assert.notEqual(ensurePassword(folder(t)), made, 'another store, another password')
})

test('refused with one line naming the fix: readable by others, another owner, not a file, empty', (t) => {
  const store = folder(t)
  const file = passwordFile(store)
  ensurePassword(store)
  for (const mode of [0o644, 0o640, 0o604]) {
    chmodSync(file, mode)
    assert.throws(() => readPassword(store), refusedWith(/readable by group or others \(mode 6[04]{2}\): chmod 600 it/))
    assert.throws(() => ensurePassword(store), refusedWith(/readable by group or others/))
  }
  chmodSync(file, 0o600)
  if (process.getuid?.() === 0) {
    chownSync(file, 65534, 65534)
    assert.throws(() => readPassword(store), refusedWith(/belongs to another user \(uid 65534\)/))
    chownSync(file, 0, 0)
  }
  writeFileSync(file, '\n', { mode: 0o600 })
  assert.throws(() => readPassword(store), refusedWith(/holds no password/))
  rmSync(file)
  mkdirSync(file)
  assert.throws(() => ensurePassword(store), refusedWith(/is not a regular file/))
})

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
