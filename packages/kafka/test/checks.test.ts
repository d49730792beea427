import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createKafka, kafkaCheck, registryCheck } from '@trends/kafka'
import { describeFailure } from '@trends/metrics'
import { freePort, testLogger } from '@trends/testing'
import { crashText } from '../src/supervise.ts'

// What /readyz shows for the two checks every pipeline service has, from the errors the real
// clients throw: the broker's address and the socket's code, the registry's HTTP status.
test('the kafka check names the refused broker; the registry check its HTTP status, never a credential', async (t) => {
  const port = await freePort()
  const kafka = createKafka(
    { clientId: 'checks-test', brokers: [`127.0.0.1:${port}`], ssl: false },
    { logger: testLogger(), overrides: { connectionTimeout: 500, retry: { retries: 0 } } },
  )
  const check = kafkaCheck(kafka)
  t.after(() => check.close())
  const refused = await check.check().then(
    () => assert.fail('no broker listens there'),
    (error: unknown) => error,
  )
  assert.deepEqual(describeFailure(refused), { reason: `ECONNREFUSED 127.0.0.1:${port}`, unreachable: true })

  const server = createServer((_request, response) => {
    response.writeHead(503)
    response.end('down for user secret')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const answered = await registryCheck({ url, username: 'user', password: 'secret', requestTimeoutMs: 2000 })().then(
    () => assert.fail('the registry answered 503'),
    (error: unknown) => error,
  )
  assert.deepEqual(describeFailure(answered), { reason: 'HTTP 503', unreachable: false })
})

test('a consumer crash reads as kafka unreachable with the broker when none answered, else its class and code', async () => {
  const port = await freePort()
  const kafka = createKafka(
    { clientId: 'checks-test', brokers: [`127.0.0.1:${port}`], ssl: false },
    { logger: testLogger(), overrides: { connectionTimeout: 500, retry: { retries: 0 } } },
  )
  const consumer = kafka.consumer({ groupId: 'checks-test' })
  const refused = await consumer.connect().then(
    () => assert.fail('no broker listens there'),
    (error: unknown) => error,
  )
  assert.equal(crashText(refused), `kafka unreachable: ECONNREFUSED 127.0.0.1:${port}`)
  const protocol = Object.assign(new Error('The group is rebalancing'), { name: 'KafkaJSProtocolError', type: 'REBALANCE_IN_PROGRESS' })
  assert.equal(crashText(new Error('retries', { cause: protocol })), 'KafkaJSProtocolError REBALANCE_IN_PROGRESS')
})
