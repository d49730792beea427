import { createLogger, type Logger } from '@trends/logger'

/** What a test or a suite offers to run cleanup: node:test's TestContext and SuiteContext both fit. */
export interface Cleanup {
  after(fn: () => unknown): void
}

/** Silent unless TEST_LOG_LEVEL asks for lines (then on stderr, out of the test runner's report). */
export function testLogger(service = 'test'): Logger {
  return createLogger({ service, level: process.env['TEST_LOG_LEVEL'] ?? 'silent', destination: process.stderr })
}

const stacks = new WeakMap<Cleanup, Array<() => unknown>>()

/**
 * Registers cleanup that runs in reverse order of registration (node:test runs `after` hooks in
 * registration order, which would stop a server before the client that uses it drops its tables).
 * Every cleanup runs even if one fails; the first failure is rethrown at the end.
 */
export function defer(t: Cleanup, fn: () => unknown): void {
  let stack = stacks.get(t)
  if (stack === undefined) {
    const created: Array<() => unknown> = []
    stack = created
    stacks.set(t, created)
    t.after(async () => {
      let failure: unknown
      for (const cleanup of created.reverse()) {
        try {
          await cleanup()
        } catch (error) {
          failure ??= error
        }
      }
      if (failure !== undefined) throw failure instanceof Error ? failure : new Error('a cleanup step failed', { cause: failure })
    })
  }
  stack.push(fn)
}
