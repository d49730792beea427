import assert from 'node:assert/strict'
import { decodeTask, encodeTask, taskFor, type ChartSpec, type createWorker, type FetchTask } from '@trends/producer'
import type { FaultRule, SimulatorHandle } from './simulator.ts'

type Worker = ReturnType<typeof createWorker>

export interface FaultCase {
  fault: FaultRule
  /** The chart (by endpoint name) whose task runs under the fault. */
  endpoint: string
  /** The task's outcome: ok, or the error that ended it. */
  outcome: string
}

/**
 * Runs one task per case through the worker, each under its own fault alone; every case takes a
 * distinct slot of its chart, so the records each wrote can be told apart by task id (the key of
 * the map returned). Faults are cleared afterwards.
 */
export async function runFaultCases<C extends FaultCase>(
  worker: Worker,
  simulator: SimulatorHandle,
  charts: readonly ChartSpec[],
  cases: readonly C[],
): Promise<Map<string, C>> {
  const byTask = new Map<string, C>()
  for (const [index, testCase] of cases.entries()) {
    const chart = charts.find((c) => c.target.endpoint.name === testCase.endpoint)
    assert.ok(chart, testCase.endpoint)
    const task: FetchTask = taskFor(chart, Date.UTC(2026, 0, 1) + index * chart.cadenceMs)
    byTask.set(task.taskId, testCase)
    await simulator.clearFaults()
    await simulator.fault(testCase.fault)
    const { target } = decodeTask(encodeTask(task))
    assert.equal(await worker.runTask(task, target), testCase.outcome, JSON.stringify(testCase.fault))
  }
  await simulator.clearFaults()
  return byTask
}
