import { parseArgs } from 'node:util'
import { readEnv } from '@trends/core'
import {
  createKafka,
  createSchemaRegistry,
  Partitioners,
  readKafkaSettings,
  readRegistrySettings,
  readTopic,
  topicsFor,
  type DeadLetterValue,
} from '@trends/kafka'
import { createLogger } from '@trends/logger'
import { usage } from '../errors.ts'
import { letterRow, listSummary, planLines, redriveMessages, redrivePlan, type Letter } from '../letters.ts'
import { formatOf, render } from '../output.ts'

export const DLQ_HELP = `Usage: trends dlq list [--stage S] [--class C] [--limit 50] [--format table|json|csv]
       trends dlq redrive [--stage S] [--class C] [--dry-run]

list     the dead letters (<prefix>.dead-letters): where each came from, which stage refused it and why
redrive  publishes the original bytes of the matching dead letters again to the topics they came from
         (header redriven-from=<dead-letter topic>:<partition>:<offset>), for a stage that has been
         fixed to take them; a letter without a source topic (a fetch that never became a record) is
         skipped. Redriving the same letters twice publishes them twice.
`

function clients() {
  const env = readEnv(process.env)
  const kafkaSettings = readKafkaSettings(env, 'trends-dlq')
  const registrySettings = readRegistrySettings(env)
  const prefix = env.string('TOPIC_PREFIX', 'tiktok')
  try {
    env.done()
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error))
  }
  const logger = createLogger({ service: 'trends-dlq', level: process.env['LOG_LEVEL'] ?? 'silent' })
  return {
    kafka: createKafka(kafkaSettings, { logger }),
    registry: createSchemaRegistry(registrySettings),
    topic: topicsFor(prefix).deadLetters,
  }
}

async function readLetters(stage: string | undefined, errorClass: string | undefined) {
  const { kafka, registry, topic } = clients()
  const letters: Letter[] = []
  await readTopic(kafka, topic, async ({ partition, message }) => {
    if (message.value === null) return
    const letter = (await registry.decode(message.value)) as DeadLetterValue
    if (stage !== undefined && letter.stage !== stage) return
    if (errorClass !== undefined && letter.error_class !== errorClass) return
    letters.push({ ...letter, dlqPartition: partition, dlqOffset: message.offset, key: message.key })
  })
  return { kafka, topic, letters }
}

const filters = {
  stage: { type: 'string' },
  class: { type: 'string' },
} as const

export async function dlq(args: string[]): Promise<void> {
  const [action, ...rest] = args
  if (action === 'list') {
    const { values } = parseArgs({
      args: rest,
      options: { ...filters, limit: { type: 'string', default: '50' }, format: { type: 'string', default: 'table' } },
      strict: true,
    })
    if (!/^\d+$/.test(values.limit)) throw usage(`--limit: a whole number (got ${JSON.stringify(values.limit)})`)
    const format = formatOf(values.format)
    const { letters } = await readLetters(values.stage, values.class)
    const rows = letters.slice(-Number(values.limit)).map((letter) => letterRow(letter, format))
    process.stdout.write(render(rows, format, process.stdout.isTTY === true))
    process.stderr.write(listSummary(letters.length, rows.length))
    return
  }
  if (action === 'redrive') {
    const { values } = parseArgs({ args: rest, options: { ...filters, 'dry-run': { type: 'boolean' } }, strict: true })
    const { kafka, topic, letters } = await readLetters(values.stage, values.class)
    const plan = redrivePlan(letters)
    const movable = letters.length - plan.skipped
    process.stdout.write(planLines(plan, values['dry-run'] === true))
    if (values['dry-run'] === true || movable === 0) return
    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    try {
      for (const [source, list] of plan.byTopic) {
        await producer.send({ topic: source, acks: -1, messages: redriveMessages(list, topic) })
      }
    } finally {
      await producer.disconnect()
    }
    process.stdout.write(`redriven: ${movable}\n`)
    return
  }
  throw usage('trends dlq list | trends dlq redrive (see trends dlq --help)')
}
