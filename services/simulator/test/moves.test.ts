import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSimulator } from '../src/index.ts'
import { DAY_MS, legacyGet, legacyList, NOW, PATHS, signed, startSimulator, type Obj } from './helpers.ts'

/** The whole US 7-day hashtag chart (two pages of 50) as the simulator serves it at `nowMs`. */
async function chart(url: string, nowMs: number): Promise<Obj[]> {
  const pages = await Promise.all(
    [1, 2].map((page) => legacyGet(url, PATHS.hashtags, { country_code: 'US', limit: 50, page }, signed(nowMs))),
  )
  return pages.flatMap((reply) => legacyList(reply, 'list'))
}

const ranks = (items: Obj[]) => new Map(items.map((item) => [String(item['hashtag_id']), Number(item['rank'])]))
/** The slope of the last seven points of an item's curve, in points (of 100) a day. */
function curveSlope(item: Obj): number {
  const points = (item['trend'] as Array<{ value: number }>).slice(-7).map((point) => point.value * 100)
  return (points.at(-1)! - points[0]!) / (points.length - 1)
}

test(
  'scripted moves: from one day to the next exactly a new number 1, a 12-place jump, an entry with a steep curve, an exit',
  { timeout: 20_000 },
  async (t) => {
    const day1 = await startSimulator(t, { now: () => NOW, moves: 'scripted' })
    const day2 = await startSimulator(t, { now: () => NOW + DAY_MS, moves: 'scripted' })
    const before = await chart(day1, NOW)
    const after = await chart(day2, NOW + DAY_MS)
    const was = ranks(before)
    const now = ranks(after)
    const id = (items: Obj[], rank: number) => String(items[rank - 1]!['hashtag_id'])
    assert.equal(after.length, 100)

    assert.equal(id(after, 1), id(before, 2), 'the number 2 takes number 1')
    assert.equal(id(after, 2), id(before, 1))
    assert.equal(id(after, 3), id(before, 15), 'the number 15 jumps to 3')
    const entrant = after[4]!
    assert.equal(was.has(String(entrant['hashtag_id'])), false, 'a new item enters at 5')
    assert.equal(entrant['rank_diff_type'], 4)
    assert.equal(curveSlope(entrant), 15, "the entrant's curve rises 15 points a day")
    const exited = [...was.keys()].filter((key) => !now.has(key))
    assert.deepEqual(exited, [id(before, 100)], 'the last one drops off')

    // Nothing else: every other item moves at most 2 places, and its curve is flat.
    for (const [key, rank] of now) {
      if ([id(after, 1), id(after, 3), String(entrant['hashtag_id'])].includes(key)) continue
      assert.ok(Math.abs(rank - was.get(key)!) <= 2, `${key}: ${was.get(key)} → ${rank}`)
    }
    for (const item of after) if (item !== entrant) assert.equal(curveSlope(item), 0, String(item['hashtag_name']))
    // rank_diff agrees with the day before.
    assert.equal(after[2]!['rank_diff'], 12)
    assert.equal(after[2]!['rank_diff_type'], 1)
  },
)

test(
  'SIM_DAY_LENGTH: the data date moves on a day per day length from the start; signatures keep the real clock',
  { timeout: 20_000 },
  async (t) => {
    let clock = NOW
    const simulator = createSimulator({ now: () => clock, dayLengthMs: 60_000 })
    const { url } = await simulator.start()
    t.after(() => simulator.stop())
    const lastPointDay = async () => {
      const [item] = legacyList(await legacyGet(url, PATHS.hashtags, { country_code: 'US', limit: 1 }, signed(clock)), 'list')
      const trend = item!['trend'] as Array<{ time: number }>
      return Math.floor(trend.at(-1)!.time / 86_400)
    }
    const first = await lastPointDay()
    assert.equal(first, Math.floor(NOW / DAY_MS))
    clock = NOW + 61_000
    assert.equal(await lastPointDay(), first + 1)
    clock = NOW + 5 * 60_000 + 1000
    assert.equal(await lastPointDay(), first + 5)
  },
)
