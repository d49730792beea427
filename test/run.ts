/**
 * The project's test command (`npm test`). Integration tests need the real local stack, so this
 * starts it when it is not running, runs every test file with node's test runner, and stops the
 * stack again only if it started it (KEEP_STACK=1 leaves it running). Arguments, if any, replace
 * the default file patterns: `npm test -- packages/kafka/test/registry.test.ts`.
 */
import { runNode, withStack } from './support/with-stack.ts'

const PATTERNS = ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts']
const args = process.argv.slice(2)

const code = await withStack(async () => {
  const tests = await runNode(['--test', '--test-reporter=spec', '--test-timeout=600000', ...(args.length > 0 ? args : PATTERNS)])
  return tests.code
})
process.exit(code)
