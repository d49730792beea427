import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readEnv } from '@trends/core'
import { createRegistry } from '@trends/metrics'
import { testLogger } from '@trends/testing'
import {
  createCreativeCenterClient,
  findEndpoint,
  hostsOf,
  readCreativeCenterSettings,
  TokenBucket,
  type AttemptEvent,
} from '../src/index.ts'

const REPORT = findEndpoint('videos-creative-one')!
const OVERVIEW =
  '{"BaseResp":{"StatusCode":0,"StatusMessage":"Success"},"lastWeeklyEndTimestamp":"1784764800","lastMonthlyEndTimestamp":"1784764800"}'
const page = (n: number) =>
  `{"BaseResp":{"StatusCode":0,"StatusMessage":"Success"},"results":{"entityInfos":[{"itemInfo":{"itemID":"76561668697741099${80 + n}"}}],"pagination":{"page":${n},"limit":1,"totalCount":2,"hasMore":${n < 2}}}}`

/** A loopback server of this process: the Report API, or a host that answers 404 to everything. */
async function server(kind: 'report' | 'not-here', seen: string[]): Promise<{ origin: string; server: Server }> {
  const made = createServer((req, res) => {
    seen.push(req.url ?? '')
    req.resume()
    if (kind === 'not-here') return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404 Not Found</h1>')
    const url = new URL(req.url ?? '/', 'http://x')
    const body = url.pathname.endsWith('Overview') ? OVERVIEW : page(Number(url.searchParams.get('page')))
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((resolve) => made.listen(0, '127.0.0.1', resolve))
  return { origin: `http://127.0.0.1:${(made.address() as AddressInfo).port}`, server: made }
}

function clientFor(hostOrigins: Record<string, string>, events: AttemptEvent[]) {
  const read = readEnv({ CC_HOST_ORIGINS: JSON.stringify(hostOrigins), CC_MAX_ATTEMPTS: '1' })
  const settings = readCreativeCenterSettings(read)
  read.done()
  return createCreativeCenterClient({
    settings,
    logger: testLogger(),
    metrics: createRegistry('hosts'),
    bucket: new TokenBucket(100, 10),
    onAttempt: (event) => events.push(event),
  })
}

const target = { endpoint: REPORT, country: 'US', period: '7', filters: {} }

test('the Report API is asked on ads.us.tiktok.com first, then ads.tiktok.com', () => {
  assert.deepEqual(hostsOf(REPORT), ['ads.us.tiktok.com', 'ads.tiktok.com'])
  assert.deepEqual(hostsOf(findEndpoint('hashtags-creative-one')!), ['ads.tiktok.com'])
})

for (const [name, primary] of [
  ['answers 404', 'not-here'],
  ['takes no connection', 'closed'],
] as const) {
  test(`a host that ${name}: the next host at once, which then stays in use; items wrapped as results.entityInfos`, async () => {
    const onPrimary: string[] = []
    const onFallback: string[] = []
    const fallback = await server('report', onFallback)
    const first = primary === 'not-here' ? await server('not-here', onPrimary) : undefined
    // A port nothing listens on: a server that was started, then closed.
    let closed = first?.origin
    if (closed === undefined) {
      const gone = await server('not-here', [])
      await new Promise((resolve) => gone.server.close(resolve))
      closed = gone.origin
    }
    const events: AttemptEvent[] = []
    const client = clientFor({ 'ads.us.tiktok.com': closed, 'ads.tiktok.com': fallback.origin }, events)
    try {
      const pages = []
      for await (const result of client.fetchPages(target, { maxPages: 5 })) pages.push(result)
      assert.deepEqual(
        pages.map((p) => p.items.map((item) => item.id)),
        [['7656166869774109981'], ['7656166869774109982']],
      )
      // The overview (the first request) met the host that does not serve it, once; everything after went to the one that does.
      assert.equal(onPrimary.length, primary === 'not-here' ? 1 : 0)
      assert.deepEqual(
        onFallback.map((url) => new URL(url, 'http://x').pathname.split('/').at(-1)),
        ['GetTopContentsOverview', 'CreativeCenterGetTopContentsList', 'CreativeCenterGetTopContentsList'],
      )
      assert.deepEqual(
        events.map((e) => [e.page, e.outcome, e.willRetry]),
        [
          [0, primary === 'not-here' ? 'CC_HTTP_ERROR' : 'CC_CONNECTION', true],
          [0, 'ok', false],
          [1, 'ok', false],
          [2, 'ok', false],
        ],
      )
    } finally {
      await client.close()
      await new Promise((resolve) => fallback.server.close(resolve))
      if (first !== undefined) await new Promise((resolve) => first.server.close(resolve))
    }
  })
}

test('CC_HOST_ORIGINS must be an object of host names and http(s) origins', () => {
  for (const bad of ['[]', '{"ads.us.tiktok.com": 3}', '{"ads.us.tiktok.com": "ftp://x"}', '{"a b": "http://x"}', 'nope']) {
    const env = readEnv({ CC_HOST_ORIGINS: bad })
    readCreativeCenterSettings(env)
    assert.throws(() => env.done(), /CC_HOST_ORIGINS: set a JSON object of host names and http\(s\) origins/, bad)
  }
  const env = readEnv({ CC_HOST_ORIGINS: '{"ADS.US.tiktok.com": "https://user:pw@proxy.internal:8443/path"}' })
  assert.deepEqual(readCreativeCenterSettings(env).hostOrigins, { 'ads.us.tiktok.com': 'https://proxy.internal:8443' })
})
