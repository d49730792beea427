import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export { Registry, Counter, Histogram, Gauge }

/**
 * One registry per service (never prom-client's global one), so tests and several services in one
 * process do not mix their metrics. Metric names carry the `trends_` prefix.
 */
export function createRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'trends_' })
  return registry
}

/** Returns the metric registered under `name`, creating it on first use (safe when two parts share one). */
function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}

export function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return getOrCreate(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }))
}

export function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  return getOrCreate(registry, name, () => new Histogram({ name, help, labelNames, buckets, registers: [registry] }))
}

export function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  return getOrCreate(registry, name, () => new Gauge({ name, help, labelNames, registers: [registry] }))
}

/** The current value of a counter or gauge for one label set (0 when never touched); for tests and status lines. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name)
  if (metric === undefined) return 0
  const { values } = await metric.get()
  return values
    .filter((v) => Object.entries(labels).every(([key, value]) => String((v.labels as Record<string, unknown>)[key]) === value))
    .reduce((sum, v) => sum + v.value, 0)
}
export {
  startHealthServer,
  readHealthSettings,
  withHealth,
  type HealthServer,
  type HealthServerOptions,
  type Check,
  type Condition,
} from './health.ts'
export { describeFailure, originOf, type FailureReason } from './reason.ts'
export { PIPELINE_METRICS } from './names.ts'
