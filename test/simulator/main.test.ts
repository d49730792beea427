/**
 * The simulator's command as a process: --help, bad settings, serving and a clean SIGTERM. Each
 * test starts it, so this sits outside the unit tier.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { PATHS, signed } from '../../services/simulator/test/helpers.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/simulator/src/main.ts')

function run(
  args: string[],
  env: Record<string, string>,
): { child: ReturnType<typeof spawn>; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return { child, output: () => ({ stdout, stderr }) }
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)))
}

test('main: --help lists the settings; bad settings exit 1 naming each problem', { timeout: 20_000 }, async () => {
  const help = run(['--help'], {})
  assert.equal(await exited(help.child), 0)
  for (const name of ['SIM_HOST', 'SIM_PORT', 'SIM_SEED', 'SIM_DEPRECATED', 'SIM_FAULTS', 'LOG_LEVEL'])
    assert.match(help.output().stdout, new RegExp(name))
  const bad = run([], { SIM_PORT: 'x', SIM_FAULTS: 'nope' })
  assert.equal(await exited(bad.child), 1)
  assert.match(bad.output().stderr, /CONFIG_INVALID/)
  assert.match(bad.output().stderr, /SIM_PORT/)
  assert.match(bad.output().stderr, /SIM_FAULTS/)
})

test('main: serves on SIM_PORT=0 and stops cleanly on SIGTERM', { timeout: 20_000 }, async (t) => {
  const server = run([], { SIM_PORT: '0', SIM_SEED: '3', LOG_LEVEL: 'warn', SIM_DEPRECATED: PATHS.hashtags })
  const exit = exited(server.child)
  t.after(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL')
  })
  const deadline = Date.now() + 10_000
  let url: string | undefined
  while (url === undefined && Date.now() < deadline) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output().stdout)?.[1]
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.ok(url !== undefined, server.output().stderr)
  const reply = await fetch(`${url}${PATHS.hashtags}`, { headers: signed(Date.now()) })
  assert.deepEqual(
    { ...((await reply.json()) as Record<string, unknown>), request_id: '' },
    { code: 0, msg: 'deprecated', request_id: '', data: {} },
  )
  server.child.kill('SIGTERM')
  assert.equal(await exit, 0)
})
