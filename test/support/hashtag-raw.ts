import { ensureTopics, registerTopicSchema, topicsFor } from '@trends/kafka'
import { defer, type Cleanup } from '@trends/testing'
import { producerEnv, stackClients } from './raw-topics.ts'

/** A legacy request_id: its stamp gives an undated item its data date (2026-11-24). */
export const REQUEST_ID = '20261124101500A1B2C3D4E5F6A7B8C9D0'

/** A raw record of the US 7-day legacy hashtag chart carrying `itemJson` as the item's text. */
export function hashtagRawValue(itemJson: string, itemId: string, taskId: string) {
  return {
    item_json: itemJson,
    item_id: itemId,
    natural_key: `hashtag:US:7:all:all:${itemId}`,
    family: 'hashtag',
    endpoint: 'hashtags-legacy',
    generation: 'legacy',
    api_path: '/creative_radar_api/v1/popular_trend/hashtag/list',
    request_params: { country_code: 'US', period: '7', page: '1', limit: '50' },
    country: 'US',
    period: '7',
    industry: null,
    page: 1,
    position: 0,
    http_status: 200,
    request_id: REQUEST_ID,
    fetch_id: `fetch-${itemId}`,
    task_id: taskId,
    fetched_at: Date.UTC(2026, 10, 24, 10, 15),
  }
}

/**
 * A fresh prefix whose hashtag raw topic has one partition (so records keep their order) and takes
 * records of 8 MiB as raw topics do, with `encode` for raw records on it; its topics are deleted
 * after the test.
 */
export async function useHashtagRawTopic(t: Cleanup, taskId: string) {
  const env = producerEnv('http://127.0.0.1:9', { charts: [{ endpoint: 'creators-legacy', countries: ['US'] }] })
  const topics = topicsFor(env['TOPIC_PREFIX'] ?? '')
  const { kafka, registry } = stackClients()
  const topic = topics.raw('hashtag')
  await ensureTopics(kafka, [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }])
  defer(t, async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [...topics.allRaw(), topics.cleaned, topics.deadLetters] }).catch(() => undefined)
    await admin.disconnect()
  })
  const schemaId = await registerTopicSchema(registry, topic, 'tiktok.raw.record.avsc')
  const encode = (itemJson: string, itemId: string) => registry.encode(schemaId, hashtagRawValue(itemJson, itemId, taskId))
  return { env, topics, kafka, registry, topic, schemaId, encode }
}
