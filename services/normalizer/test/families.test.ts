import { test } from 'node:test'
import assert from 'node:assert/strict'
import { drift, driftLabels, OTHER_FIELD, SPECS } from '../src/families.ts'

test('drift labels: a field a mapping knows keeps its name; any other name, or an unknown family, is other', () => {
  assert.deepEqual(driftLabels({ family: 'hashtag', field: 'publish_cnt', kind: 'missing' }), {
    family: 'hashtag',
    field: 'publish_cnt',
    kind: 'missing',
  })
  // Known to the other hashtag mapping: a legacy item carrying a new-generation field.
  assert.deepEqual(driftLabels({ family: 'hashtag', field: 'hashtagID', kind: 'unknown' }), {
    family: 'hashtag',
    field: 'hashtagID',
    kind: 'unknown',
  })
  assert.deepEqual(driftLabels({ family: 'hashtag', field: 'brand_new_field_' + 'x'.repeat(500), kind: 'unknown' }), {
    family: 'hashtag',
    field: OTHER_FIELD,
    kind: 'unknown',
  })
  assert.deepEqual(driftLabels({ family: 'sound', field: 'hashtag_id', kind: 'unknown' }), {
    family: 'sound',
    field: OTHER_FIELD,
    kind: 'unknown',
  })
  assert.deepEqual(driftLabels({ family: 'upstream text', field: 'rank', kind: 'unknown' }), {
    family: OTHER_FIELD,
    field: OTHER_FIELD,
    kind: 'unknown',
  })
})

test('drift labels over every mapping: the label set is closed however many new keys upstream sends', () => {
  const labels = new Set<string>()
  for (const spec of Object.values(SPECS)) {
    const item: Record<string, string> = {}
    for (let i = 0; i < 1000; i++) item[`field_${i}`] = 'x'
    const { unknown, missing } = drift(spec, item)
    assert.equal(unknown.length, 1000)
    for (const field of unknown) labels.add(JSON.stringify(driftLabels({ family: spec.kind, field, kind: 'unknown' })))
    for (const field of missing) labels.add(JSON.stringify(driftLabels({ family: spec.kind, field, kind: 'missing' })))
  }
  const kinds = new Set(Object.values(SPECS).map((spec) => spec.kind))
  const known = Object.values(SPECS).reduce((sum, spec) => sum + spec.fields.length, 0)
  // One `other` per kind, plus each mapping's known fields as missing (two mappings may share a name).
  assert.ok(labels.size <= kinds.size + known, `${labels.size} label sets`)
  assert.equal([...labels].filter((text) => text.includes('field_')).length, 0)
})
