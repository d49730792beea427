/**
 * The logger as a process sees it: the format chosen from LOG_FORMAT and the terminal, and a
 * settings problem printed by configOrExit. Each runs a small script in its own node process, so
 * these sit outside the unit tier.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'

/** Every secret in these tests carries this marker, so one search of the output bytes finds any leak. */
const MARK = 'S3CR3T'

test('LOG_FORMAT=pretty writes readable lines, still redacted; piped output is JSON by default', () => {
  const script = `import { createLogger } from '@trends/logger'; createLogger({ service: 'cli' }).info({ cookie: 'sessionid=abc' }, 'hello')`
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      cwd: import.meta.dirname,
    })
  const pretty = run({ LOG_FORMAT: 'pretty' })
  assert.match(pretty.stdout, /INFO.*hello/)
  assert.match(pretty.stdout, /cookie: "\[redacted\]"/)
  assert.doesNotMatch(pretty.stdout, /sessionid/)
  const piped = run({})
  assert.equal((JSON.parse(piped.stdout.trim()) as { msg: string }).msg, 'hello')
})

test('a settings problem that echoes a URL with credentials is printed without them', () => {
  const script = [
    `import { configOrExit } from '@trends/logger'`,
    `configOrExit('svc', '', () => { throw new Error('X_URL: set an http(s) URL (got "ftp://u:${MARK}@db.example")') })`,
  ].join('\n')
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: import.meta.dirname })
  assert.equal(run.status, 2)
  assert.equal(run.stderr, 'svc: X_URL: set an http(s) URL (got "ftp://[redacted]@db.example")\n')
})
