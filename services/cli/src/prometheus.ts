/** Just enough of the Prometheus text format to read a service's counters for a status line. */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export type Samples = Sample[]

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g

export function parseMetrics(text: string): Samples {
  const samples: Samples = []
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const match = LINE.exec(line)
    if (match === null) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!.replace(/\\(.)/g, '$1')
    const value = Number(match[3])
    if (Number.isFinite(value)) samples.push({ name: match[1]!, labels, value })
  }
  return samples
}

/** The sum of a metric's samples whose labels include `labels`. */
export function metricSum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const sample of samples) {
    if (sample.name !== name) continue
    if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) sum += sample.value
  }
  return sum
}
