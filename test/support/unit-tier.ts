/**
 * The unit tier's rule, enforced: `npm run test:unit` loads this into every test file's process
 * (`node --import`), and a unit test that reaches outside its own process fails, naming the file and
 * what it reached. So a test that needs Kafka, the registry, ClickHouse's server, Java or any
 * other process cannot sit in the unit tier by mistake: it fails there at once instead of making
 * the tier slow or dependent on the stack. Such a test belongs in the top-level test/ folder.
 *
 * Allowed: servers the test process itself listens on (an HTTP server on 127.0.0.1 started by the
 * test), worker threads, the file system, chDB in-process. Refused: a TCP connection to any other
 * address or port, and starting a child process (the stack, Java, a service, even another node).
 *
 * Only the processes the runner starts for each file (NODE_TEST_CONTEXT is set there) are guarded:
 * the runner itself has to start them.
 */
import childProcess from 'node:child_process'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** The guarded file, as the report names it. */
function testFile(): string {
  const file = process.argv[1]
  return file === undefined ? 'a unit test' : path.relative(ROOT, file)
}

const violations: string[] = []

function refuse(what: string): Error {
  const message = `unit tier: ${testFile()} ${what}; a test that needs the stack or another process belongs in the top-level test/ folder (README, Tests)`
  violations.push(message)
  process.exitCode = 1
  process.stderr.write(`${message}\n`)
  return Object.assign(new Error(message), { code: 'UNIT_TIER_REFUSED' })
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1'])
const listening = new Set<number>()

/** Where a Socket.connect call would go: its arguments are (options | port[, host] | path)[, listener], or that list normalized into an array by net.connect. */
function target(args: unknown[]): { host: string; port: number } | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0]
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = Array.isArray(args[0]) ? undefined : args[1]
    return { host: typeof host === 'string' ? host : 'localhost', port: Number(first) }
  }
  if (typeof first === 'object' && first !== null) {
    const options = first as { port?: unknown; host?: unknown; path?: unknown }
    // net itself takes any truthy path for a pipe (http passes path: null for TCP).
    if (Boolean(options.path) || options.port === undefined) return undefined
    return { host: typeof options.host === 'string' ? options.host : 'localhost', port: Number(options.port) }
  }
  return undefined
}

type Method<T> = (this: T, ...args: unknown[]) => T

function install(): void {
  const servers = net.Server.prototype as unknown as { listen: Method<net.Server> }
  const listen = servers.listen
  servers.listen = function (...args) {
    this.prependOnceListener('listening', () => {
      const address = this.address()
      if (typeof address === 'object' && address !== null) listening.add(address.port)
    })
    return listen.apply(this, args)
  }

  const sockets = net.Socket.prototype as unknown as { connect: Method<net.Socket> }
  const connect = sockets.connect
  sockets.connect = function (...args) {
    const to = target(args)
    if (to !== undefined && !(LOOPBACK.has(to.host) && listening.has(to.port))) {
      const error = refuse(`connected to ${to.host}:${to.port}, which no server of its own process answers`)
      process.nextTick(() => this.destroy(error))
      return this
    }
    return connect.apply(this, args)
  }

  // spawn, exec, execFile and fork all start their process through this method.
  // (a method Node's types leave out; it is on the prototype all the same)
  const prototype = childProcess.ChildProcess.prototype as unknown as { spawn: (options: { file?: string }) => never }
  prototype.spawn = (options) => {
    throw refuse(`started a process (${path.basename(options.file ?? '?')})`)
  }
  const sync = (name: 'spawnSync' | 'execSync' | 'execFileSync') => {
    const refused = (command: string): never => {
      throw refuse(`started a process (${path.basename(command.split(' ')[0] ?? '?')})`)
    }
    childProcess[name] = refused
  }
  sync('spawnSync')
  sync('execSync')
  sync('execFileSync')
  // ESM named imports of node:child_process read the live bindings only after this.
  syncBuiltinESMExports()

  // A client that swallows the refused connection and carries on still fails its file.
  process.on('exit', () => {
    if (violations.length > 0) process.exitCode = 1
  })
}

if (process.env['NODE_TEST_CONTEXT'] !== undefined) install()
