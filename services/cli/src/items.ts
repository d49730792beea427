/**
 * What `trends fetch` shows of a page: a row per item and a summary line. Pure, so tested on its own.
 */
import { describeDrift, snapshotOutcome, type PageResult, type RawItem } from '@trends/creative-center'
import { visible } from './output.ts'

/** The fields that name an item, in order of preference: they differ per endpoint and generation. */
const NAME_FIELDS = ['hashtag_name', 'keyword', 'title', 'nick_name', 'nickName', 'name', 'hashtagName', 'author', 'item_id']

/** A display name for an item of any family; empty when it has none. */
export function nameOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return ''
  const item = value as Record<string, unknown>
  for (const key of NAME_FIELDS) {
    const field = item[key]
    if (typeof field === 'string' && field !== '') return field
  }
  return ''
}

/** Rows of `trends fetch`: the position from 1, the id (or that it has none), the name. */
export function itemRows(items: readonly RawItem[]): Array<{ position: number; id: string; name: string }> {
  return items.map((item) => ({ position: item.position + 1, id: item.id ?? '(none)', name: nameOf(item.value) }))
}

/** The line after the items, on stderr: what came back and how. */
export function pageSummary(
  endpoint: string,
  page: Pick<PageResult, 'page' | 'items' | 'status' | 'latencyMs' | 'attempts' | 'requestId' | 'pagination' | 'drift'>,
): string {
  return (
    `${endpoint} page ${page.page}: ${page.items.length} items, HTTP ${page.status}, ${page.latencyMs.toFixed(0)} ms, ${page.attempts} attempt(s)` +
    `${page.requestId === undefined ? '' : `, request ${page.requestId}`}${page.pagination.hasMore === true ? ', more pages' : ''}\n` +
    // Upstream field names are upstream text: escaped like any other before they reach a terminal.
    (page.drift.length === 0 ? '' : `drift: ${visible(describeDrift(page.drift))}\n`)
  )
}

/**
 * What a first page says of its chart's snapshot, for `trends fetch`: that it is the whole chart, or
 * that it stops at the rows a logged-out session gets (`loggedOutCap`, given only without a session),
 * or nothing when more pages follow (the summary says so) or the page is not the first.
 */
export function snapshotLine(page: Pick<PageResult, 'page' | 'items' | 'pagination'>, loggedOutCap: number | undefined): string {
  if (page.page !== 1) return ''
  const outcome = snapshotOutcome(
    [{ items: page.items.length, hasMore: page.pagination.hasMore, total: page.pagination.total }],
    loggedOutCap,
  )
  if (outcome === 'complete') return 'snapshot: complete (this page ends the chart)\n'
  if (outcome === 'logged_out_cap')
    return `snapshot: partial (logged_out_cap): without a login the upstream stops at ${loggedOutCap} rows; CC_COOKIE fetches the whole chart\n`
  if (outcome === 'empty') return 'snapshot: partial (empty): no items\n'
  return ''
}
