import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }

test('the trends bin is committed executable, so npm ci (which makes it so) leaves git status clean', () => {
  for (const target of Object.values(manifest.bin)) {
    const staged = execFileSync('git', ['ls-files', '-s', target], { cwd: ROOT, encoding: 'utf8' })
    assert.match(staged, /^100755 /, `${target}: ${staged}`)
    assert.match(readFileSync(path.join(ROOT, target), 'utf8'), /^#!\/usr\/bin\/env node\n/)
  }
})

test("npx trends with the machine's own older Node: no npm engine warning, and the command runs on the Node 24 npm ci installed", (t) => {
  // The machine's own node, outside node_modules/.bin (what a person's shell finds).
  const system = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => existsSync(candidate))
  if (system === undefined) {
    t.skip('no system Node.js outside node_modules on this machine')
    return
  }
  const dir = path.dirname(system)
  const env = { ...process.env, PATH: `${dir}:/usr/bin:/bin` }
  const npx = path.join(dir, 'npx')
  const result = spawnSync(existsSync(npx) ? npx : 'npx', ['trends', '--help'], { cwd: ROOT, env, encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  assert.doesNotMatch(result.stderr, /EBADENGINE|Unsupported engine/)
  assert.match(result.stdout, /^Usage: trends <command>/)
})
