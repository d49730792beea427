import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CONSUMER_LOST_EXIT_CODE } from '@trends/kafka'
import { defer } from '@trends/testing'
import { holdGroup } from './support/groups.ts'
import { producerEnv } from './support/raw-topics.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const RESTART_LIMIT = 2

/** Runs a service's main to its exit (killed after `timeoutMs`); its exit code and JSON log lines. */
async function runToExit(main: string, args: string[], env: Record<string, string>, timeoutMs = 90_000) {
  const child = spawn(process.execPath, [path.join(ROOT, main), ...args], {
    env: { ...process.env, METRICS_PORT: '0', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const started = Date.now()
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(timer)
  const lines = out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { code, lines, out, seconds: (Date.now() - started) / 1000 }
}

const SERVICES = [
  { consumer: 'producer-worker', main: 'services/producer/src/main.ts', args: ['worker'], group: (prefix: string) => `${prefix}.workers` },
  { consumer: 'normalizer', main: 'services/normalizer/src/main.ts', args: [], group: (prefix: string) => `${prefix}.normalizer` },
  { consumer: 'sink', main: 'services/sink/src/main.ts', args: [], group: (prefix: string) => `${prefix}.sink` },
]

for (const service of SERVICES) {
  test(
    `${service.consumer}: a consumer Kafka keeps refusing is restarted ${RESTART_LIMIT} times, then the service stops and exits ${CONSUMER_LOST_EXIT_CODE}`,
    { timeout: 150_000 },
    async (t) => {
      const env = producerEnv('http://127.0.0.1:9', { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'] }] })
      const prefix = env['TOPIC_PREFIX']!
      const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-lost-'))
      defer(t, () => rmSync(folder, { recursive: true, force: true }))
      await holdGroup(t, service.group(prefix))

      const { code, lines, out, seconds } = await runToExit(service.main, service.args, {
        ...env,
        LOG_LEVEL: 'info',
        NORMALIZER_GROUP_ID: `${prefix}.normalizer`,
        SINK_GROUP_ID: `${prefix}.sink`,
        CLICKHOUSE_PATH: folder,
        CONSUMER_RESTART_LIMIT: String(RESTART_LIMIT),
      })
      assert.equal(code, CONSUMER_LOST_EXIT_CODE, `exit ${code} after ${seconds}s:\n${out.slice(-3000)}`)

      const crashes = lines.filter((line) => line['msg'] === 'consumer crashed; kafkajs will not restart it')
      const story = lines
        .filter((line) => line['component'] === 'consumer-supervisor' || line['exitCode'] !== undefined)
        .map((line) => JSON.stringify(line))
        .join('\n')
      // A restart that cannot even connect or subscribe (a busy machine's connection timeout) is an
      // attempt used up like a crash: the first run and each restart end in one or the other.
      const failedRestarts = lines.filter((line) => line['msg'] === 'consumer restart failed')
      assert.ok(crashes.length >= 1, `the first run crashes:\n${story}`)
      assert.equal(crashes.length + failedRestarts.length, RESTART_LIMIT + 1, `the first run and each restart:\n${story}`)
      for (const crash of crashes) {
        assert.equal(crash['consumer'], service.consumer)
        assert.equal(crash['causeClass'] ?? crash['errorClass'], 'KafkaJSProtocolError')
        assert.equal(crash['causeCode'] ?? crash['code'], 'INCONSISTENT_GROUP_PROTOCOL')
      }
      assert.equal(lines.filter((line) => line['msg'] === 'consumer cannot be restarted; giving up').length, 1)
      const exiting = lines.find((line) => line['msg'] === 'a consumer cannot be restarted; stopping the service')
      assert.equal(exiting?.['exitCode'], CONSUMER_LOST_EXIT_CODE)
      // Class and code only: kafkajs's message text ("The group member's supported protocols…") stays out.
      assert.doesNotMatch(out, /supported protocols/i)
    },
  )
}
