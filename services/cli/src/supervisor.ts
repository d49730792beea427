import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import path from 'node:path'
import { CliError } from './errors.ts'
import { decideRestart, DEFAULT_RESTART_POLICY, exitText, restartLine, type RestartPolicy } from './restarts.ts'

/** A service `trends run` started: its name, the process running it now, where its metrics are. */
export interface Supervised {
  readonly name: string
  readonly process: ChildProcess
  readonly metricsUrl?: string
}

interface Entry {
  name: string
  process: ChildProcess
  metricsUrl?: string
  start: () => ChildProcess
  /** When it was started again, for the policy's window. */
  restartedAt: number[]
  restarts: number
}

/**
 * The processes of `trends run`. Once `watch()` is called, a service that exits on its own is
 * started again after a growing wait (restarts.ts), with a line saying so; one that keeps failing
 * ends the run (`failed` settles). `stop()` stops them in the reverse of their start order, with
 * no restarts from then on: SIGTERM, and SIGKILL after the timeout.
 */
export class Supervisor {
  readonly #entries: Entry[] = []
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #log: (line: string) => void
  readonly #policy: RestartPolicy
  #stopping = false
  #fail: (error: CliError) => void = () => undefined
  /** Settles with the error of a service that failed more often than the policy allows. */
  readonly failed: Promise<CliError>

  constructor(log: (line: string) => void, policy: RestartPolicy = DEFAULT_RESTART_POLICY) {
    this.#log = log
    this.#policy = policy
    this.failed = new Promise((resolve) => (this.#fail = resolve))
  }

  /** Starts a Node script of the project as its own process, its output in `<logDir>/<name>.log`. */
  static node(root: string, logDir: string, name: string, main: string, args: string[], env: NodeJS.ProcessEnv): () => ChildProcess {
    return () => {
      mkdirSync(logDir, { recursive: true })
      const file = openSync(path.join(logDir, `${name}.log`), 'a')
      const child = spawn(process.execPath, [path.join(root, main), ...args], { env, stdio: ['ignore', file, file] })
      closeSync(file)
      return child
    }
  }

  /** Starts a service now; it is watched once `watch()` is called. */
  add(name: string, start: () => ChildProcess, metricsUrl?: string): Supervised {
    const entry: Entry = {
      name,
      process: start(),
      start,
      restartedAt: [],
      restarts: 0,
      ...(metricsUrl === undefined ? {} : { metricsUrl }),
    }
    this.#entries.push(entry)
    return entry
  }

  get children(): readonly Supervised[] {
    return this.#entries
  }

  /** Restarts so far, by service. */
  restarts(): Map<string, number> {
    return new Map(this.#entries.map((entry) => [entry.name, entry.restarts]))
  }

  /** From now on, a service that exits is started again (the start phase itself fails at once instead). */
  watch(): void {
    for (const entry of this.#entries) this.#follow(entry)
  }

  #follow(entry: Entry): void {
    const child = entry.process
    const exited = (code: number | null, signal: NodeJS.Signals | null) => this.#exited(entry, code, signal)
    if (child.exitCode !== null || child.signalCode !== null) exited(child.exitCode, child.signalCode)
    else child.once('exit', exited)
  }

  #exited(entry: Entry, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#stopping) return
    const how = exitText(code, signal)
    const decision = decideRestart(entry.restartedAt, Date.now(), this.#policy)
    if (!decision.restart) {
      this.#fail(
        new CliError(
          `the ${entry.name} failed again (${how}) after ${decision.count} restarts within ${this.#policy.windowMs / 60_000} min (see .data/logs/${entry.name}.log)`,
        ),
      )
      return
    }
    this.#log(`the ${entry.name} exited (${how}); starting it again in ${(decision.delayMs / 1000).toFixed(1)} s`)
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (this.#stopping) return
      entry.restartedAt.push(Date.now())
      entry.restarts++
      entry.process = entry.start()
      this.#log(restartLine(entry.name, how, entry.restarts))
      this.#follow(entry)
    }, decision.delayMs)
    this.#timers.add(timer)
  }

  /** Stops every service, last started first; no restarts from here on. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    for (const entry of [...this.#entries].reverse()) await stopProcess(entry.process, timeoutMs)
  }
}

async function stopProcess(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await exited
  clearTimeout(timer)
}
