/**
 * `npm run bench`: every benchmark (`test/bench/*.bench.ts`) against the real local stack, which
 * is started when it is not running and stopped again if this started it. Each benchmark prints its
 * figures as JSON and one line per target, with the ceiling it measured in the same run.
 * Arguments, if any, pick benchmark files.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { ROOT, runNode, withStack } from './support/with-stack.ts'

const benches =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(path.join(ROOT, 'test/bench'))
        .filter((name) => name.endsWith('.bench.ts'))
        .sort()
        .map((name) => path.join('test/bench', name))

const code = await withStack(async () => {
  let failed = 0
  for (const bench of benches) {
    process.stdout.write(`\n== ${bench}\n`)
    if ((await runNode([bench])).code !== 0) failed++
  }
  return failed === 0 ? 0 : 1
})
process.exit(code)
