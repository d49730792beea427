import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { readEnv } from '@trends/core'
import { createKafka, createSchemaRegistry, readKafkaSettings, readRegistrySettings, type Kafka, type SchemaRegistry } from '@trends/kafka'
import { freePort, testLogger, type Cleanup } from '@trends/testing'
import { startFaultPipeline } from './faults.ts'

const STACK = path.resolve(import.meta.dirname, '../../services/stack/src/main.ts')
type Component = 'kafka' | 'registry'

/** A Kafka broker and a registry of the fault test's own, on free ports and a data folder that goes with them. */
export interface PrivateStack {
  /** KAFKA_BROKERS and SCHEMA_REGISTRY_URL for services and clients of this stack. */
  env: Record<string, string>
  kafka: () => Kafka
  registry: () => SchemaRegistry
  /** Starts whatever of the stack is not running; returns once both answer clients. */
  up: () => Promise<void>
  /** Signals one component's process and waits until it has exited (SIGKILL after `graceMs`). */
  stop: (component: Component, signal: NodeJS.Signals, graceMs?: number) => Promise<void>
}

function stackCommand(args: string[], env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STACK, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    // The stack's own start timeout bounds `up`; this one only guards against a hung command.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new Error(`stack ${args.join(' ')} exited ${code}:\n${output}`))
    })
  })
}

function pidOf(dataDir: string, component: Component): number | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dataDir, 'run', `${component}.json`), 'utf8')) as { pid: number }).pid
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // A dead child not yet reaped by whoever adopted it still answers signal 0.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/**
 * Starts a second instance of the local stack (services/stack, the same code `npm run stack` runs)
 * with its own STACK_DATA_DIR and ports, so a fault test can kill its broker or registry without
 * touching the shared stack other tests use. The downloads cache is shared. Stopped and deleted
 * after the test, whatever state the fault left it in.
 */
export async function usePrivateStack(t: Cleanup): Promise<PrivateStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'trends-fault-stack-'))
  // A port freed a moment ago can be handed out again: draw until the four differ.
  const drawn = new Set<number>()
  while (drawn.size < 4) drawn.add(await freePort())
  const [kafkaPort, controller, registryPort, management] = [...drawn] as [number, number, number, number]
  const ports = { kafka: kafkaPort, controller, registry: registryPort, management }
  const stackEnv = {
    STACK_DATA_DIR: dataDir,
    STACK_KAFKA_PORT: String(ports.kafka),
    STACK_KAFKA_CONTROLLER_PORT: String(ports.controller),
    STACK_REGISTRY_PORT: String(ports.registry),
    STACK_REGISTRY_MANAGEMENT_PORT: String(ports.management),
    STACK_START_TIMEOUT: '120000ms',
  }
  const env = {
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
  }
  // Registered before `up`, so a stack that starts half-way is still stopped. Its data is deleted
  // right after, so SIGKILL: `stack down`'s clean shutdown took about a minute a fault file.
  t.after(async () => {
    for (const component of ['registry', 'kafka'] as const) {
      const pid = pidOf(dataDir, component)
      if (pid === undefined || !alive(pid)) continue
      process.kill(pid, 'SIGKILL')
      while (alive(pid)) await sleep(100)
    }
    rmSync(dataDir, { recursive: true, force: true })
  })
  const up = async () => {
    await stackCommand(['up'], stackEnv, 180_000)
  }
  await up()
  const read = readEnv(env)
  const kafkaSettings = readKafkaSettings(read, 'fault-test')
  const registrySettings = readRegistrySettings(read)
  read.done()
  return {
    env,
    kafka: () => createKafka(kafkaSettings, { logger: testLogger('kafka') }),
    registry: () => createSchemaRegistry(registrySettings),
    up,
    stop: async (component, signal, graceMs = 30_000) => {
      const pid = pidOf(dataDir, component)
      if (pid === undefined || !alive(pid)) throw new Error(`the private ${component} is not running`)
      process.kill(pid, signal)
      const deadline = Date.now() + graceMs
      while (alive(pid)) {
        if (Date.now() > deadline) process.kill(pid, 'SIGKILL')
        await sleep(100)
      }
    },
  }
}

/**
 * The broker faults: a private stack and a fault run on it; once the first thousand raw records are
 * written, the broker gets `signal` and is started again on the same data; recovery is measured from
 * the moment it answers clients again, then the run drains and is counted.
 */
export async function brokerRestart(t: Cleanup, name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, name)
  await run.untilRaw(1000)
  await stack.stop('kafka', signal)
  await stack.up()
  // Every stage moving again within 10 s of the broker answering (#11's bound; 30 s and more before
  // consumers removed the members the broker still held for them).
  await run.finish(await run.recovered(Date.now()), 10)
}
