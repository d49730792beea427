import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { creativeCenterClient } from '@trends/testing'
import { CreativeCenterError, parseJson, readIndustryList } from '../src/index.ts'

const read = (text: string) => Object.fromEntries(readIndustryList(parseJson(text)))

test('the industry list is read by what an industry looks like, wherever the body keeps it', () => {
  // As industry_info spells one, in a legacy envelope.
  assert.deepEqual(
    read(
      '{"code":0,"msg":"OK","data":{"industry_list":[{"id":22000000000,"value":"Apparel & Accessories","label":"label_22000000000"},{"id":"25000000000","value":"Games","label":"label_25000000000"}]}}',
    ),
    { '22000000000': 'Apparel & Accessories', '25000000000': 'Games' },
  )
  // camelCase, nested sub-industries, and names under name.
  assert.deepEqual(
    read(
      '{"BaseResp":{"StatusCode":0},"result":{"industries":[{"industryID":"14000000000","industryName":"Beauty & Personal Care","children":[{"industryId":"14103000000","name":"Skincare"}]}]}}',
    ),
    { '14000000000': 'Beauty & Personal Care', '14103000000': 'Skincare' },
  )
})

test('what only resembles an industry is left out: label-only names, ids of another length, the first name of an id kept', () => {
  assert.deepEqual(
    read(
      '{"data":[{"id":"22000000000","label":"label_22000000000"},{"id":"123","name":"Not an industry"},{"id":7300000000000000000,"value":"A video"},{"id":"27000000000","value":"Food & Beverage"},{"id":"27000000000","value":"Food"}]}',
    ),
    { '27000000000': 'Food & Beverage' },
  )
  assert.deepEqual(read('{"code":0,"data":{}}'), {})
  assert.deepEqual(read('[[[[[[[[[[[[[[[[{"id":"22000000000","value":"Too deep"}]]]]]]]]]]]]]]]]'), {})
})

/** What fetchIndustries makes of one answer from a loopback server of this process (one attempt). */
async function industriesFrom(status: number, contentType: string, body: string): Promise<unknown> {
  const server = createServer((req, res) => {
    req.resume()
    res.writeHead(status, { 'content-type': contentType }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const client = creativeCenterClient({ CC_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, CC_MAX_ATTEMPTS: '1' })
    try {
      return await client.fetchIndustries().catch((error: unknown) => error)
    } finally {
      await client.close()
    }
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

test('the industry list request is refused like every page: a captcha, another HTML page, a server error, an API code', async () => {
  const captcha = await industriesFrom(200, 'text/html', '<html><div id="captcha_container">verify to continue</div></html>')
  assert.ok(captcha instanceof CreativeCenterError)
  assert.equal(captcha.code, 'CC_CAPTCHA')
  const html = await industriesFrom(403, 'text/html', '<html><body>Forbidden</body></html>')
  assert.ok(html instanceof CreativeCenterError)
  assert.equal(html.code, 'CC_HTTP_ERROR')
  const down = await industriesFrom(503, 'application/json', '{}')
  assert.ok(down instanceof CreativeCenterError)
  assert.equal(down.code, 'CC_SERVER_ERROR')
  assert.equal(down.retryable, true)
  const api = await industriesFrom(200, 'application/json', '{"code":40001,"msg":"no"}')
  assert.ok(api instanceof CreativeCenterError)
  assert.equal(api.code, 'CC_API_ERROR')
  const ok = await industriesFrom(200, 'application/json', '{"code":0,"data":{"list":[{"id":"10000000000","value":"Apparel"}]}}')
  assert.ok(ok instanceof Map)
  assert.equal(ok.get('10000000000'), 'Apparel')
})
