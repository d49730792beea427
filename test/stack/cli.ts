import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defer, freePort, type Cleanup } from '@trends/testing'

const MAIN = path.resolve(import.meta.dirname, '../../services/stack/src/main.ts')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the stack command as a user would, in its own process, with the given environment. */
export function runStack(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/**
 * A stack of its own: a temporary data folder and free ports, sharing only the download cache with
 * the project's stack. Stops whatever it started after the test.
 */
// A type alias (not an interface) so it fits where an environment record is expected.
export type StackTestEnv = {
  STACK_DATA_DIR: string
  STACK_KAFKA_PORT: string
  STACK_KAFKA_CONTROLLER_PORT: string
  STACK_REGISTRY_PORT: string
  STACK_REGISTRY_MANAGEMENT_PORT: string
}

export async function isolatedStackEnv(t: Cleanup): Promise<StackTestEnv> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'trends-stack-test-'))
  const env: StackTestEnv = {
    STACK_DATA_DIR: dataDir,
    STACK_KAFKA_PORT: String(await freePort()),
    STACK_KAFKA_CONTROLLER_PORT: String(await freePort()),
    STACK_REGISTRY_PORT: String(await freePort()),
    STACK_REGISTRY_MANAGEMENT_PORT: String(await freePort()),
  }
  defer(t, async () => {
    await runStack(['down'], env, 120_000)
    rmSync(dataDir, { recursive: true, force: true })
  })
  return env
}
