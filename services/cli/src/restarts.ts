/**
 * When `trends run` starts a service again after it exits on its own (a crash, or exit 75 when a
 * consumer could not be restarted in-process), and when it gives up. Pure, so the policy is tested
 * without processes.
 */
export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; one more and the run stops. */
  limit: number
  windowMs: number
  /** Waits before a restart: the n-th within the window waits baseMs × 2^(n-1), at most maxMs. */
  baseMs: number
  maxMs: number
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = { limit: 5, windowMs: 10 * 60_000, baseMs: 1000, maxMs: 30_000 }

export type RestartDecision = { restart: true; delayMs: number; count: number } | { restart: false; count: number }

/**
 * Given when the service was restarted before (ms timestamps) and now, whether to restart it again
 * and after how long. Restarts older than the window are forgotten, so a service that fails once
 * a day is restarted for ever, and one that fails on every start is not.
 */
export function decideRestart(previous: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RestartDecision {
  const recent = previous.filter((at) => now - at < policy.windowMs).length
  if (recent >= policy.limit) return { restart: false, count: recent }
  return { restart: true, delayMs: Math.min(policy.maxMs, policy.baseMs * 2 ** recent), count: recent + 1 }
}

/** How a process ended, as a person reads it: `exit 1`, `killed by SIGKILL`. */
export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `exit ${code}` : `killed by ${signal ?? 'a signal'}`
}

/** `normalizer restarted (exit 1), 2 restarts`. */
export function restartLine(name: string, how: string, count: number): string {
  return `${name} restarted (${how}), ${count} restart${count === 1 ? '' : 's'}`
}

/** The status line's tail for services restarted so far: ` · restarts: normalizer 2, sink 1`, or nothing. */
export function restartsSuffix(counts: ReadonlyMap<string, number>): string {
  const parts = [...counts].filter(([, count]) => count > 0).map(([name, count]) => `${name} ${count}`)
  return parts.length === 0 ? '' : ` · restarts: ${parts.join(', ')}`
}
