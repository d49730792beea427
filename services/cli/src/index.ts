export { parseMetrics, metricSum, type Sample, type Samples } from './prometheus.ts'
export { table, csv, render, type Format } from './output.ts'
