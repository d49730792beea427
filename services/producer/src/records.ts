import type { ErrorCode } from '@trends/core'
import { chartId, naturalKey, type AttemptEvent, type PageResult, type RawItem, type SnapshotOutcome } from '@trends/creative-center'
import { deadLetterValue, type DeadLetterValue, type RawRecordValue } from '@trends/kafka'
import type { FetchTask } from './tasks.ts'

export function rawRecordValue(page: PageResult, item: RawItem & { id: string }, task: FetchTask, fetchId: string): RawRecordValue {
  const { target } = page
  return {
    item_json: item.raw,
    item_id: item.id,
    natural_key: naturalKey(target, item.id),
    family: target.endpoint.family,
    endpoint: target.endpoint.name,
    generation: target.endpoint.generation,
    api_path: target.endpoint.path,
    request_params: { ...page.params },
    country: target.country ?? null,
    period: target.period ?? null,
    industry: target.industry ?? null,
    page: page.page,
    position: item.position,
    http_status: page.status,
    request_id: page.requestId ?? null,
    fetch_id: fetchId,
    task_id: task.taskId,
    fetched_at: page.fetchedAt.getTime(),
  }
}

export interface FetchLogValue {
  fetch_id: string
  task_id: string
  endpoint: string
  family: string
  generation: string
  page: number
  attempt: number
  outcome: string
  error_class: string | null
  http_status: number | null
  latency_ms: number
  items: number
  will_retry: boolean
  request_id: string | null
  request_params: Record<string, string>
  requested_at: number
  chart_id: string
  /** On the last attempt of a chart fetch that ended: how it ended (complete, or why partial); null otherwise. */
  snapshot: SnapshotOutcome | null
  /** How a successful page's items differ from the endpoint's contract: at most 20 entries, names cut at 128 characters. */
  drift: Array<{ field: string; kind: string; items: number }>
}

export function fetchLogValue(
  event: AttemptEvent,
  page: PageResult['target'],
  task: FetchTask,
  fetchId: string,
  requestedAt: number,
): FetchLogValue {
  return {
    fetch_id: fetchId,
    task_id: task.taskId,
    endpoint: event.endpoint,
    family: page.endpoint.family,
    generation: page.endpoint.generation,
    page: event.page,
    attempt: event.attempt,
    outcome: event.outcome,
    error_class: event.outcome === 'ok' ? null : event.outcome,
    http_status: event.status ?? null,
    latency_ms: event.latencyMs,
    items: event.items,
    will_retry: event.willRetry,
    request_id: event.requestId ?? null,
    request_params: { ...event.params },
    requested_at: requestedAt,
    chart_id: chartId(page),
    snapshot: null,
    drift: event.drift.slice(0, 20).map((entry) => ({ field: entry.field.slice(0, 128), kind: entry.kind, items: entry.items })),
  }
}

/**
 * An upstream item that cannot become a raw record, kept whole: by default because it has no id to
 * key it by; `why` names another reason (refused by the classifier, too large for the raw topic).
 */
export function itemDeadLetter(
  page: PageResult,
  item: RawItem,
  task: FetchTask,
  fetchId: string,
  nowMs: number,
  why: { code: ErrorCode; message: string } = {
    code: 'CC_ITEM_WITHOUT_ID',
    message: `list item has no ${page.target.endpoint.idPath.join('.')}`,
  },
): DeadLetterValue {
  return deadLetterValue({
    stage: 'producer',
    errorClass: why.code,
    message: why.message,
    original: Buffer.from(item.raw, 'utf8'),
    context: {
      endpoint: page.target.endpoint.name,
      task_id: task.taskId,
      fetch_id: fetchId,
      page: String(page.page),
      position: String(item.position),
      http_status: String(page.status),
      ...(page.requestId === undefined ? {} : { request_id: page.requestId }),
    },
    failedAt: nowMs,
  })
}
