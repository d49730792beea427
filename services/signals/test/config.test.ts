import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@trends/core'
import { loadSignalsConfig } from '../src/config.ts'
import { webhookPayload } from '../src/webhook.ts'
import type { SignalRecord } from '../src/app.ts'

test('settings: defaults; no webhook unless SIGNALS_WEBHOOK_URL; every problem at once, a bad URL never repeated', () => {
  const config = loadSignalsConfig({})
  assert.equal(config.transactionalId, 'tiktok.signals')
  assert.equal(config.pollMs, 10_000)
  assert.equal(config.lookbackMs, 7 * 86_400_000)
  assert.equal(config.thresholds.rankJump, 10)
  assert.equal(config.webhook, undefined)
  const hooked = loadSignalsConfig({ TOPIC_PREFIX: 'demo', SIGNALS_WEBHOOK_URL: 'https://hooks.example.net/services/abc' })
  assert.deepEqual(hooked.webhook, {
    url: 'https://hooks.example.net/services/abc',
    secret: undefined,
    timeoutMs: 5000,
    attempts: 6,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    groupId: 'demo.signals-webhook',
  })
  assert.throws(
    () =>
      loadSignalsConfig({
        SIGNALS_WEBHOOK_URL: 'ftp://user:key-in-the-url@example.net/',
        SIGNALS_LOOKBACK: '30d',
        SIGNALS_POLL: 'often',
        SIGNALS_RANK_JUMP: '0',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      const text = error.problems.join('\n')
      assert.match(text, /SIGNALS_WEBHOOK_URL: an http\(s\) URL \(the value is not shown/)
      assert.ok(!text.includes('key-in-the-url'))
      assert.match(text, /SIGNALS_LOOKBACK: between 1d and 14d/)
      assert.match(text, /SIGNALS_POLL: a duration/)
      assert.match(text, /SIGNALS_RANK_JUMP: set an integer between 1 and 1000/)
      assert.equal(error.problems.length, 4)
      return true
    },
  )
})

test('the webhook body: the event with readable dates, and a line of text for a chat', () => {
  const record: SignalRecord = {
    event_id: 'abc',
    type: 'rank_jump',
    chart_id: 'sounds-legacy/US/7/all/rank_type=popular',
    kind: 'sound',
    country: 'US',
    period: 7,
    industry: null,
    endpoint: 'sounds-legacy',
    previous_date: 20_788,
    data_date: 20_789,
    natural_key: 'sound:US:7:1',
    item_id: '1',
    display_name: 'Golden Hour',
    previous_rank: 14,
    rank: 3,
    measure: 'places',
    value: 11,
    threshold: 10,
    detected_at: Date.UTC(2026, 11, 2, 8),
  }
  assert.deepEqual(webhookPayload(record), {
    ...record,
    previous_date: '2026-12-01',
    data_date: '2026-12-02',
    detected_at: '2026-12-02T08:00:00.000Z',
    text: 'sounds-legacy/US/7/all/rank_type=popular · Golden Hour: rank_jump — #14 → #3 (+11)',
  })
})
