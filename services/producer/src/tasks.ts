import { createHash } from 'node:crypto'
import { describeTarget, findEndpoint, type FetchTarget } from '@trends/creative-center'
import type { ChartSpec } from './matrix.ts'

/** One chart to fetch for one time slot; the unit of work on the tasks topic. */
export interface FetchTask {
  taskId: string
  /** Start of the slot this task belongs to (ms since epoch). */
  slotStart: number
  endpoint: string
  country?: string
  period?: string
  industry?: string
  filters: Record<string, string>
  maxPages: number
  pageSize?: number
  scheduledAt: number
}

/** The slot a moment falls in for a cadence: the same chart in the same slot is the same task. */
export function slotStart(nowMs: number, cadenceMs: number): number {
  return Math.floor(nowMs / cadenceMs) * cadenceMs
}

/** Deterministic: a restarted scheduler computes the same id for the same chart and slot. */
export function taskId(target: FetchTarget, slot: number): string {
  return createHash('sha256')
    .update(`${describeTarget(target)}@${slot}`)
    .digest('hex')
    .slice(0, 32)
}

export function taskFor(chart: ChartSpec, nowMs: number): FetchTask {
  const slot = slotStart(nowMs, chart.cadenceMs)
  const { target } = chart
  return {
    taskId: taskId(target, slot),
    slotStart: slot,
    endpoint: target.endpoint.name,
    ...(target.country === undefined ? {} : { country: target.country }),
    ...(target.period === undefined ? {} : { period: target.period }),
    ...(target.industry === undefined ? {} : { industry: target.industry }),
    filters: { ...target.filters },
    maxPages: chart.maxPages,
    ...(chart.pageSize === undefined ? {} : { pageSize: chart.pageSize }),
    scheduledAt: nowMs,
  }
}

export function encodeTask(task: FetchTask): Buffer {
  return Buffer.from(JSON.stringify(task))
}

/** Reads a task from the topic; throws (with a reason) when it is not one this worker can run. */
export function decodeTask(bytes: Buffer | null): { task: FetchTask; target: FetchTarget } {
  if (bytes === null) throw new Error('a task record without a value')
  const task = JSON.parse(bytes.toString('utf8')) as FetchTask
  if (typeof task.taskId !== 'string' || typeof task.endpoint !== 'string' || !Number.isInteger(task.maxPages)) {
    throw new Error('a task record without taskId, endpoint or maxPages')
  }
  const endpoint = findEndpoint(task.endpoint)
  if (endpoint === undefined) throw new Error(`a task for an unknown endpoint ${task.endpoint}`)
  const target: FetchTarget = {
    endpoint,
    ...(task.country === undefined ? {} : { country: task.country }),
    ...(task.period === undefined ? {} : { period: task.period }),
    ...(task.industry === undefined ? {} : { industry: task.industry }),
    filters: task.filters ?? {},
  }
  return { task, target }
}
