import { spawn } from 'node:child_process'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../../../..')

/** Commands that are a service's own entry point: run it with this terminal, pass its exit code on. */
export const DELEGATES: Readonly<Record<string, { main: string; help: string }>> = {
  stack: { main: 'services/stack/src/main.ts', help: 'the local stack: up, down, status, logs, reset' },
  migrate: { main: 'packages/clickhouse/src/migrate-main.ts', help: 'apply the ClickHouse migrations' },
  replay: {
    main: 'services/sink/src/replay-main.ts',
    help: 'read topics into ClickHouse again (--from earliest|offset|time); --shadow, --verify, --swap, --rollback, --drop-previous',
  },
}

export async function delegate(name: string, args: string[]): Promise<number> {
  const target = DELEGATES[name]
  if (target === undefined) throw new Error(`no command ${name}`)
  const child = spawn(process.execPath, [path.join(ROOT, target.main), ...args], { stdio: 'inherit' })
  return new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128))))
}
