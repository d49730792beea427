import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRegistry } from '@trends/metrics'
import { ConsumerHealth, DEFAULT_CONSUMER_SETTINGS, memberFile, superviseConsumer } from '@trends/kafka'
import { defer, freshGroupId, freshTopic, testLogger, useAdmin, useKafka } from '@trends/testing'

const CHILD = path.resolve(import.meta.dirname, '../support/member-child.ts')
/** The dead member's session: far longer than the test, so only a removal can let the group go on. */
const DEAD_SESSION_MS = 600_000

// A service SIGKILLed and started again takes its instance slot back, reads the member id its dead
// predecessor kept there and removes that member: the group rebalances at once instead of waiting
// for the dead member's session to run out (kafkajs has no static membership).
test(
  'a restarted consumer removes its dead predecessor from the group instead of waiting out its session',
  { timeout: 120_000 },
  async (t) => {
    const topic = await freshTopic(t, 'membership', 2)
    const groupId = freshGroupId('membership')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-membership-'))
    defer(t, () => rmSync(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'group.0.member')

    const child = spawn(process.execPath, [CHILD, groupId, topic, file, String(DEAD_SESSION_MS)], { stdio: ['ignore', 'pipe', 'inherit'] })
    defer(t, () => child.kill('SIGKILL'))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('joined') && resolve())
      child.once('exit', (code) => reject(new Error(`the first consumer exited (${code})`)))
    })
    const dead = memberFile(file).previous()
    assert.ok(dead !== undefined, 'the first consumer kept its member id')
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const killedAt = Date.now()

    const admin = await useAdmin(t)
    const before = (await admin.describeGroups([groupId])).groups[0]
    assert.deepEqual(
      before?.members.map((member) => member.memberId),
      [dead],
      'the killed consumer is still a member',
    )

    const kafka = useKafka()
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 })
    const joins: Array<{ memberId: string; at: number }> = []
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => joins.push({ memberId: payload.memberId, at: Date.now() }))
    const supervisor = superviseConsumer({
      name: 'membership',
      consumer,
      subscriptions: [{ topics: [topic], fromBeginning: true }],
      run: { eachMessage: async () => undefined },
      health: new ConsumerHealth({ stallAfterMs: 60_000 }),
      settings: DEFAULT_CONSUMER_SETTINGS,
      logger: testLogger(),
      metrics: createRegistry('membership-test'),
      membership: { kafka, groupId, memory: memberFile(file), sessionTimeoutMs: DEAD_SESSION_MS },
    })
    defer(t, () => supervisor.stop())
    await supervisor.start()
    const deadline = Date.now() + 60_000
    while (joins.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    const group = (await admin.describeGroups([groupId])).groups[0]
    t.diagnostic(`joined ${joins.length > 0 ? `${joins[0]!.at - killedAt} ms` : 'never'} after the kill; members ${group?.members.length}`)

    assert.equal(joins.length, 1, 'joined once')
    assert.ok(joins[0]!.at - killedAt < DEAD_SESSION_MS, 'joined while the dead member would still have held the group')
    assert.deepEqual(
      group?.members.map((member) => member.memberId),
      [joins[0]!.memberId],
      'the dead member is gone; only the new one is left',
    )
    assert.notEqual(joins[0]!.memberId, dead)
    assert.equal(memberFile(file).previous(), joins[0]!.memberId, 'the new member id is kept for the next restart')
  },
)
