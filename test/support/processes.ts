import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { defer, type Cleanup } from '@trends/testing'

/**
 * A service as its own process, the way it runs in production. Its output goes to a temporary
 * file, shown if it exits with an error; after the test it gets SIGTERM (if still running).
 */
export function startServiceProcess(t: Cleanup, main: string, args: string[], env: Record<string, string>): ChildProcess {
  const logPath = path.join(os.tmpdir(), `trends-${path.basename(path.dirname(path.dirname(main)))}-${process.pid}-${randomSuffix()}.log`)
  const logFile = openSync(logPath, 'w')
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env },
    stdio: ['ignore', logFile, logFile],
  })
  closeSync(logFile)
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    if (child.exitCode !== null && child.exitCode !== 0)
      process.stderr.write(`${main} (pid ${child.pid}) exited ${child.exitCode}:\n${readFileSync(logPath, 'utf8').slice(-3000)}\n`)
    rmSync(logPath, { force: true })
  })
  return child
}

/** Runs a command-line entry point to its end; its exit code and what it printed. */
export async function runCommand(
  main: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, stdout, stderr }
}
