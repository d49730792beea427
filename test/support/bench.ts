import { readEnv } from '@trends/core'
import { createKafka, createSchemaRegistry, readKafkaSettings, readRegistrySettings } from '@trends/kafka'
import { createLogger } from '@trends/logger'
import { classifyResponse, upstreamParams, type FetchTarget, type PageResult } from '@trends/creative-center'
import { parseMatrix, taskFor } from '@trends/producer'

/** What every benchmark against the local stack starts with: a quiet logger, Kafka and the registry. */
export function benchClients() {
  const logger = createLogger({ service: 'bench', level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' })
  const env = readEnv(process.env)
  const kafkaSettings = readKafkaSettings(env, 'bench')
  const registrySettings = readRegistrySettings(env)
  env.done()
  return { logger, kafka: createKafka(kafkaSettings, { logger }), registry: createSchemaRegistry(registrySettings) }
}

/** A page body classified as the worker would, as the PageResult it hands on (fetched now, first attempt). */
export function pageFrom(body: { target: FetchTarget; page: number; text: string }): PageResult {
  const classified = classifyResponse(body.target.endpoint, 200, 'application/json', body.text, body.page)
  if (classified.kind !== 'ok') throw new Error(`bench page did not classify: ${classified.code}`)
  return {
    target: body.target,
    page: body.page,
    items: classified.items,
    pagination: classified.pagination,
    requestId: classified.requestId,
    status: 200,
    latencyMs: 0,
    attempts: 1,
    params: upstreamParams(body.target, body.page, 50),
    drift: [],
    fetchedAt: new Date(),
  }
}

/** The benchmarks' task: the US 7-day hashtag chart, two pages, this time slot. */
export function benchTask() {
  const [chart] = parseMatrix(
    { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'] }] },
    { cadence: '1h', maxPages: 2 },
  ).charts
  if (chart === undefined) throw new Error('no chart')
  return taskFor(chart, Date.now())
}
