import { test } from 'node:test'
import assert from 'node:assert/strict'
import { topQuery } from '../src/commands/query.ts'

const OPTIONS = { kind: 'hashtag', country: 'US', period: 7, days: 7, limit: 10 }

test('trends top: the chart, the window of days before the latest data date and the limit, in the SQL', () => {
  const sql = topQuery(OPTIONS)
  assert.match(sql, /^WHERE kind = 'hashtag' AND country = 'US' AND period = 7$/m)
  assert.match(sql, /FROM trend_observations WHERE kind = 'hashtag'\) - 6$/m, 'seven days back is the latest date and six before')
  assert.match(sql, /^ORDER BY rank, name\nLIMIT 10$/m)
  assert.match(topQuery({ ...OPTIONS, days: 1, limit: 3 }), /\) - 0\nORDER BY rank, name\nLIMIT 3$/)
})

test('trends top: quotes and backslashes in a value stay inside its string literal', () => {
  const sql = topQuery({ ...OPTIONS, kind: "x' OR 1=1 --", country: 'U\\S' })
  assert.match(sql, /^WHERE kind = 'x\\' OR 1=1 --' AND country = 'U\\\\S' AND period = 7$/m)
  assert.equal(sql.match(/'x\\' OR 1=1 --'/g)?.length, 2, 'the same literal in the chart filter and the latest-date subquery')
})
