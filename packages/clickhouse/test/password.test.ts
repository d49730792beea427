import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensurePassword, passwordFile, PasswordFileError, readPassword } from '@trends/clickhouse'
import { defer, type Cleanup } from '@trends/testing'

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
