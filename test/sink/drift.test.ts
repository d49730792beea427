import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cleanedRecord, fetchLogEntry, loadThroughSink } from '../support/sink.ts'

/** A fetch-log entry of a successful page, with the drift the client found on it. */
function page(fetchId: string, drift: Array<{ field: string; kind: string; items: number }> | undefined): Record<string, unknown> {
  return fetchLogEntry({ fetch_id: fetchId, ...(drift === undefined ? {} : { drift }) })
}

test(
  'the fetch log keeps each page drift in ClickHouse: fields, kinds and items, queryable; none is an empty array',
  { timeout: 120_000 },
  async (t) => {
    const { client } = await loadThroughSink(
      t,
      [cleanedRecord(0)],
      [
        page('drifted', [
          { field: 'hashtag_name', kind: 'missing', items: 50 },
          { field: 'tag_name', kind: 'unknown', items: 50 },
        ]),
        page('kept', []),
      ],
    )
    const rows = await (
      await client.query({
        query: `SELECT fetch_id, arrayStringConcat(arrayMap(d -> concat(d.field, ' ', d.kind, ' ', toString(d.items)), drift), ', ') AS words
              FROM fetch_log ORDER BY fetch_id`,
        format: 'JSONEachRow',
      })
    ).json<{ fetch_id: string; words: string }>()
    assert.deepEqual(rows, [
      { fetch_id: 'drifted', words: 'hashtag_name missing 50, tag_name unknown 50' },
      { fetch_id: 'kept', words: '' },
    ])
  },
)
