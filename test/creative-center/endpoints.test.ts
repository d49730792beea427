import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ENDPOINTS, findEndpoint, type FetchTarget, type PageResult } from '@trends/creative-center'
import { creativeCenterClient, type Cleanup } from '@trends/testing'
import { useSimulator } from '../support/simulator.ts'

// Every endpoint definition against the simulator: signing, envelopes, list keys, pagination,
// ids kept exact, and the logged-out cap of the new hashtag API.

async function clientFor(t: Cleanup, env: Record<string, string> = {}) {
  const simulator = await useSimulator(t)
  const client = creativeCenterClient({ CC_BASE_URL: simulator.url, ...env })
  t.after(() => client.close())
  return { simulator, client }
}

function targetFor(name: string): FetchTarget {
  const endpoint = findEndpoint(name)
  assert.ok(endpoint)
  return {
    endpoint,
    ...(endpoint.country === null ? {} : { country: 'US' }),
    ...(endpoint.period === null ? {} : { period: '7' }),
  }
}

async function collect(pages: AsyncGenerator<PageResult>): Promise<PageResult[]> {
  const all: PageResult[] = []
  for await (const page of pages) all.push(page)
  return all
}

for (const endpoint of ENDPOINTS) {
  test(`${endpoint.name}: pages arrive with ids, exact item text and pagination`, async (t) => {
    const { client } = await clientFor(t, { CC_COOKIE: 'sessionid_ads=test-session' })
    const pages = await collect(client.fetchPages(targetFor(endpoint.name), { maxPages: 3, pageSize: 20 }))
    assert.equal(pages.length, 3, 'three pages of a chart longer than three pages')
    for (const [index, page] of pages.entries()) {
      assert.equal(page.page, index + 1)
      assert.equal(page.status, 200)
      assert.ok(page.items.length > 0 && page.items.length <= endpoint.pageSizeCap)
      for (const item of page.items) {
        assert.ok(item.id !== undefined && item.id.length > 0)
        assert.ok(item.raw.startsWith('{') && item.raw.endsWith('}'))
        assert.ok(item.raw.includes(item.id), 'the raw text carries the id as sent')
      }
      if (endpoint.generation === 'legacy') assert.match(page.requestId ?? '', /^\d{14}[0-9A-F]{20}$/)
    }
    const ids = pages.flatMap((page) => page.items.map((item) => item.id))
    assert.equal(new Set(ids).size, ids.length, 'no item repeats across pages')
  })
}

test('paging stops at the end of the chart even when more pages are allowed', async (t) => {
  const { client } = await clientFor(t)
  const pages = await collect(client.fetchPages(targetFor('hashtags-legacy'), { maxPages: 10 }))
  assert.equal(pages.length, 2, 'a top 100 at 50 a page is two pages')
  assert.equal(pages.flatMap((page) => page.items).length, 100)
  assert.equal(pages.at(-1)?.pagination.hasMore, false)
})

test('bare 64-bit ids in the body stay exact in the item text and in the parsed value', async (t) => {
  const { client } = await clientFor(t)
  const page = await client.fetchPage(targetFor('sounds-legacy'), 1)
  const withRelated = page.items.find((item) => /"item_id":\d{19}/.test(item.raw))
  assert.ok(withRelated, 'sound items carry related_items[].item_id as bare numbers')
  const bare = /"item_id":(\d{19})/.exec(withRelated.raw)?.[1]
  const related = (withRelated.value as { related_items: Array<{ item_id: unknown }> }).related_items
  assert.ok(
    related.some((entry) => entry.item_id === bare),
    'parsed as the exact digits, as a string',
  )
})

test('logged out, the new hashtag API gives the top 3; with a session cookie, full pages', async (t) => {
  const anonymous = await clientFor(t)
  const top = await collect(anonymous.client.fetchPages(targetFor('hashtags-creative-one'), { maxPages: 5 }))
  assert.equal(top.flatMap((page) => page.items).length, 3)
  const loggedIn = await clientFor(t, { CC_COOKIE: 'sessionid_ads=test-session' })
  const full = await collect(loggedIn.client.fetchPages(targetFor('hashtags-creative-one'), { maxPages: 5 }))
  assert.equal(full.flatMap((page) => page.items).length, 100)
})

test('a web-id is sent and signed over when configured', async (t) => {
  const { client } = await clientFor(t, { CC_WEB_ID: '7455517281448216080' })
  const page = await client.fetchPage(targetFor('creators-legacy'), 1)
  assert.ok(page.items.length > 0)
})
