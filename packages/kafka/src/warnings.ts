/**
 * kafkajs 2.2.4 schedules one timer with a negative delay (its request queue subtracts a timestamp
 * from -1 before the first throttle). Node 24 clamps such a delay to 1 ms, which is what kafkajs
 * means, and prints a TimeoutNegativeWarning every time a client connects. This replaces Node's
 * printing of process warnings with one that drops exactly that warning and prints every other one
 * as Node would. createKafka calls it, so it takes effect only in processes that use Kafka.
 */
let installed = false

export function silenceKafkajsTimerWarning(): void {
  if (installed) return
  installed = true
  process.removeAllListeners('warning')
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return
    process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`)
  })
}
