import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCatalog, VIDEO_EPOCH } from '../src/catalog.ts'
import { toJsonText, BareNumber } from '../src/json.ts'
import { requestId, REQUEST_ID_PATTERN } from '../src/request-id.ts'

const RTL = /[\u0590-\u05FF\u0600-\u06FF]/u
const ZERO_WIDTH = /[\u200B\u200C\u200D]/u
const EMOJI = /\p{Extended_Pictographic}/u

test('the generated world has unique ids and names and real-world text quirks', () => {
  const catalog = createCatalog(1)
  const tags = catalog.hashtags()
  assert.equal(new Set(tags.map((tag) => tag.id)).size, tags.length)
  assert.equal(new Set(tags.map((tag) => tag.name.toLowerCase())).size, tags.length)
  const names = tags.map((tag) => tag.name)
  const share = (pattern: RegExp): number => names.filter((name) => pattern.test(name)).length / names.length
  assert.ok(share(RTL) > 0.03 && share(RTL) < 0.2, `RTL share ${share(RTL)}`)
  assert.ok(share(/^#/) > 0.01 && share(/^#/) < 0.06, 'some names keep a leading #')
  assert.ok(share(ZERO_WIDTH) > 0.01 && share(ZERO_WIDTH) < 0.1, 'some names carry zero-width characters')
  assert.ok(share(EMOJI) > 0.01, 'some names carry emoji')
  assert.ok(share(/[\u3040-\u30FF\uAC00-\uD7AF\u4E00-\u9FFF\u0E00-\u0E7F]/u) > 0.05, 'CJK, Hangul and Thai names')

  const creators = catalog.creators('SA')
  assert.ok(creators.some((creator) => RTL.test(creator.nick)))
  assert.ok(
    creators.every((creator) => /^[a-z0-9._]+$/.test(creator.handle)),
    'handles are ASCII',
  )
  assert.equal(new Set(creators.map((creator) => creator.handle)).size, creators.length)

  for (const video of catalog.videos('US')) {
    assert.match(video.itemId, /^\d{19}$/)
    assert.equal(Number(BigInt(video.itemId) >> 32n), video.createTime, 'the id encodes its creation time')
    assert.ok(video.createTime <= VIDEO_EPOCH)
  }
  const keywords = catalog.keywords('JP').map((keyword) => keyword.text)
  assert.equal(new Set(keywords).size, keywords.length)
  assert.ok(keywords.includes('送料無料'))
})

test('the same seed builds the same world; another seed another one', () => {
  const a = createCatalog(9).hashtags().slice(0, 50)
  const b = createCatalog(9).hashtags().slice(0, 50)
  const c = createCatalog(10).hashtags().slice(0, 50)
  assert.deepEqual(a, b)
  assert.notDeepEqual(
    a.map((tag) => tag.id),
    c.map((tag) => tag.id),
  )
})

test('the JSON writer keeps 19-digit numbers exact and otherwise matches JSON.stringify', () => {
  const value = { a: 'x"\u200b', n: 1.5, big: new BareNumber('7603120458876214550'), list: [true, null, { skip: undefined, k: -2 }] }
  assert.equal(toJsonText(value), '{"a":"x\\"\u200b","n":1.5,"big":7603120458876214550,"list":[true,null,{"k":-2}]}')
  assert.equal(toJsonText({ ...value, big: 1 }), JSON.stringify({ ...value, big: 1 }))
  assert.throws(() => new BareNumber('12a'), /not an integer/)
  const id = requestId(Date.UTC(2026, 7, 3, 10, 10, 10))
  assert.match(id, REQUEST_ID_PATTERN)
  assert.equal(id.length, 34)
  assert.ok(id.startsWith('20260803101010'))
})
