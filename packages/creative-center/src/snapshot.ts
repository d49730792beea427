/**
 * How a fetch of one chart ended, and so whether what it fetched is the whole chart as the upstream
 * had it (one snapshot) or only part of it. The fetch log records this on each chart fetch's last
 * attempt; analysis and signals take complete snapshots only.
 */

/** Every way a chart fetch can end: `complete`, or why the snapshot it fetched is partial. */
export const SNAPSHOT_OUTCOMES = ['complete', 'page_failed', 'max_pages', 'empty', 'logged_out_cap'] as const
export type SnapshotOutcome = (typeof SNAPSHOT_OUTCOMES)[number]

/** What one fetched page says about where the chart ends. */
export interface PageEnd {
  items: number
  hasMore: boolean | undefined
  total: number | undefined
}

/**
 * Whether the chart ends with this page: the upstream says there is no more, the page is empty, or
 * the items so far (`seen`, this page's included) reach the total it announced.
 */
export function endsChart(page: PageEnd, seen: number): boolean {
  return page.hasMore === false || page.items === 0 || (page.total !== undefined && seen >= page.total)
}

/**
 * The outcome of a chart fetch that read `pages` in order without a failure: `empty` when it found
 * no item at all, `max_pages` when it stopped at its page cap with more to come, `logged_out_cap`
 * when it read exactly the rows a logged-out session gets (`loggedOutCap`, given only for a fetch
 * without a session) — the upstream then says the list ends, but the chart goes on — and
 * `complete` when its last page ends the chart.
 */
export function snapshotOutcome(pages: readonly PageEnd[], loggedOutCap?: number): SnapshotOutcome {
  let seen = 0
  for (const page of pages) seen += page.items
  const last = pages.at(-1)
  if (last === undefined || seen === 0) return 'empty'
  if (!endsChart(last, seen)) return 'max_pages'
  return seen === loggedOutCap ? 'logged_out_cap' : 'complete'
}

/**
 * The outcome of a chart fetch a failure ended, by the failure's code: `empty` for a chart whose
 * first page holds no item (`CC_EMPTY_CHART`, which the client refuses rather than take an empty
 * chart for the truth), `page_failed` for any other, whatever the fetch read before it.
 */
export function failedSnapshotOutcome(code: string): SnapshotOutcome {
  return code === 'CC_EMPTY_CHART' ? 'empty' : 'page_failed'
}
