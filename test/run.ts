/**
 * The project's test command (`npm test`). Integration tests need the real local stack, so this
 * starts it when it is not running, runs every test file with node's test runner, and stops the
 * stack again only if it started it (KEEP_STACK=1 leaves it running). Arguments, if any, replace
 * the default file patterns: `npm test -- packages/kafka/test/registry.test.ts`.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '..')
const STACK = path.join(ROOT, 'services/stack/src/main.ts')
const PATTERNS = ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts']

function run(args: string[], capture: boolean): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] })
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      process.stderr.write(chunk)
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout }))
  })
}

// Ctrl-C reaches the children through the process group; staying alive lets us stop the stack after.
process.on('SIGINT', () => undefined)
process.on('SIGTERM', () => undefined)

const up = await run([STACK, 'up'], true)
if (up.code !== 0) {
  process.stderr.write('test: the local stack did not start; see the line above\n')
  process.exit(up.code)
}
const startedHere = /\bstarted\b/.test(up.stdout)

const args = process.argv.slice(2)
const tests = await run(['--test', '--test-reporter=spec', '--test-timeout=600000', ...(args.length > 0 ? args : PATTERNS)], false)

if (startedHere && process.env['KEEP_STACK'] !== '1') {
  const down = await run([STACK, 'down'], true)
  if (down.code !== 0) process.stderr.write('test: stopping the local stack failed\n')
}
process.exit(tests.code)
