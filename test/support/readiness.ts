export interface Readiness {
  status: number
  checks: Record<string, string>
  text: string
}

/** A service's /readyz on `port`: its status and checks (undefined while nothing answers). */
export async function readyz(port: number): Promise<Readiness | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
  if (response === undefined) return undefined
  const text = await response.text()
  return { status: response.status, checks: (JSON.parse(text) as { checks: Record<string, string> }).checks, text }
}

/** Polls `probe` until `done` holds, or fails after `timeoutMs` naming what it waited for and the last value. */
export async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} (last: ${JSON.stringify(value)})`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Polls /readyz on `port` until an answer satisfies `done`. */
export async function readyzUntil(port: number, what: string, done: (r: Readiness) => boolean, timeoutMs = 90_000): Promise<Readiness> {
  let found: Readiness | undefined
  await until(
    what,
    () => readyz(port),
    (r) => r !== undefined && done((found = r)),
    timeoutMs,
  )
  return found!
}

/** A metric's value summed over the lines whose labels contain `labels` (0 while the service does not answer). */
export async function metricTotal(port: string, name: string, labels = ''): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (response) => response.text(),
    () => '',
  )
  return text
    .split('\n')
    .filter((line) => (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}
