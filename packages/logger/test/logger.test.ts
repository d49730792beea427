import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { createLogger, prettyLogs } from '@trends/logger'

test('JSON lines with the service name, ISO time and level; secrets redacted', async () => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const logger = createLogger({ service: 'unit', destination: out })
  logger.info({ fetchId: 'f1', headers: { cookie: 'sessionid=abc', authorization: 'Basic xyz' }, password: 'p' }, 'fetched')
  await new Promise((resolve) => setImmediate(resolve))
  const line = JSON.parse(text.trim()) as Record<string, unknown>
  assert.equal(line['service'], 'unit')
  assert.equal(line['level'], 'info')
  assert.match(String(line['time']), /^\d{4}-\d{2}-\d{2}T/)
  assert.equal(line['fetchId'], 'f1')
  assert.deepEqual(line['headers'], { cookie: '[redacted]', authorization: '[redacted]' })
  assert.equal(line['password'], '[redacted]')
  assert.doesNotMatch(text, /sessionid|xyz/)
})

test('pretty only when asked, or on a terminal; JSON when piped', () => {
  assert.equal(prettyLogs(undefined, true), true)
  assert.equal(prettyLogs('auto', true), true)
  assert.equal(prettyLogs(undefined, false), false)
  assert.equal(prettyLogs(undefined, undefined), false)
  assert.equal(prettyLogs('json', true), false)
  assert.equal(prettyLogs('pretty', false), true)
})

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
