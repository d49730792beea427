import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** What we remember about a process the stack started, in <dataDir>/run/<name>.json. */
export interface ProcessRecord {
  name: string
  pid: number
  startedAt: string
  /** A unique argument on the command line, so a recycled pid is never mistaken for ours. */
  marker: string
  logFile: string
}

export function runDir(dataDir: string): string {
  return path.join(dataDir, 'run')
}

function recordPath(dataDir: string, name: string): string {
  return path.join(runDir(dataDir), `${name}.json`)
}

export function readRecord(dataDir: string, name: string): ProcessRecord | undefined {
  const file = recordPath(dataDir, name)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord
  } catch {
    return undefined
  }
}

export function forgetRecord(dataDir: string, name: string): void {
  rmSync(recordPath(dataDir, name), { force: true })
}

/** True when the pid is alive and its command line still carries our marker. */
export function isAlive(record: ProcessRecord): boolean {
  try {
    process.kill(record.pid, 0)
  } catch {
    return false
  }
  try {
    return readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0').includes(record.marker)
  } catch {
    // No /proc (not Linux): trust the signal check.
    return true
  }
}

export interface StartOptions {
  dataDir: string
  name: string
  command: string
  args: string[]
  cwd: string
  marker: string
  env?: NodeJS.ProcessEnv
}

/**
 * Starts a process detached from this one (it outlives `stack up`), with stdout and stderr appended
 * to <dataDir>/logs/<name>.log, and records its pid.
 */
export function startDetached(options: StartOptions): ProcessRecord {
  const logDir = path.join(options.dataDir, 'logs')
  mkdirSync(logDir, { recursive: true })
  mkdirSync(runDir(options.dataDir), { recursive: true })
  const logFile = path.join(logDir, `${options.name}.log`)
  const fd = openSync(logFile, 'a')
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
    })
    if (child.pid === undefined) throw new Error(`could not start ${options.command}`)
    child.unref()
    const record: ProcessRecord = {
      name: options.name,
      pid: child.pid,
      startedAt: new Date().toISOString(),
      marker: options.marker,
      logFile,
    }
    writeFileSync(recordPath(options.dataDir, options.name), `${JSON.stringify(record, null, 2)}\n`)
    return record
  } finally {
    closeSync(fd)
  }
}

/** SIGTERM, wait up to `graceMs` for a clean exit, then SIGKILL. Only ever signals our own pid. */
export async function stopProcess(dataDir: string, record: ProcessRecord, graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(record)) {
    forgetRecord(dataDir, record.name)
    return 'not-running'
  }
  process.kill(record.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(record)) {
      forgetRecord(dataDir, record.name)
      return 'stopped'
    }
    await sleep(200)
  }
  process.kill(record.pid, 'SIGKILL')
  while (isAlive(record)) await sleep(100)
  forgetRecord(dataDir, record.name)
  return 'killed'
}

/** The last `count` lines of a log file (empty when it does not exist). */
export function tailLines(file: string, count: number): string[] {
  if (!existsSync(file)) return []
  const lines = readFileSync(file, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.slice(-count)
}
