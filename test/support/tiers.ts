/**
 * The two test tiers: which files each holds and how node runs them (test/run.ts; README, Tests).
 *
 * - unit: every test file in a workspace's own test folder (`packages/x/test`, `services/x/test`),
 *   run under test/support/unit-tier.ts, which fails a file that connects to anything but a server
 *   of its own process or starts a process. No stack is needed.
 * - integration: every test file in the top-level test/ folder, against the real local stack;
 *   tests that start services or other processes live here too.
 */
import path from 'node:path'

export const UNIT_PATTERNS = ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts']
export const INTEGRATION_PATTERNS = ['test/**/*.test.ts']

export const UNIT_GUARD = path.resolve(import.meta.dirname, 'unit-tier.ts')

/**
 * Unit files run four at a time: most of the tier's time is spent waiting on timers (retry backoff,
 * rate limits, HTTP timeouts), not on the CPU, so this roughly halves it on two cores. Thirty
 * seconds is ample for any one unit test and bounds a client that keeps retrying a refused connection.
 */
export const UNIT_FLAGS = ['--import', UNIT_GUARD, '--test', '--test-reporter=spec', '--test-timeout=30000', '--test-concurrency=4']
export const INTEGRATION_FLAGS = ['--test', '--test-reporter=spec', '--test-timeout=600000']

/** Whether a test file (a path from the repository root) is in the unit tier. */
export function isUnitFile(file: string): boolean {
  return /^(\.\/)?(packages|services)\/[^/]+\/test\//.test(path.normalize(file))
}
