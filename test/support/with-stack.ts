import { spawn } from 'node:child_process'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')
const STACK = path.join(ROOT, 'services/stack/src/main.ts')

/** Runs a Node script of the project with this Node; with `capture`, its stdout is echoed to stderr and returned. */
export function runNode(args: string[], capture = false): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] })
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      process.stderr.write(chunk)
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout }))
  })
}

/**
 * Makes sure the local stack runs, runs `work`, and stops the stack again only if it was started
 * here (KEEP_STACK=1 leaves it running). Returns work's exit code, or the stack's if it did not start.
 */
export async function withStack(work: () => Promise<number>): Promise<number> {
  // Ctrl-C reaches the children through the process group; staying alive lets us stop the stack after.
  process.on('SIGINT', () => undefined)
  process.on('SIGTERM', () => undefined)
  const up = await runNode([STACK, 'up'], true)
  if (up.code !== 0) {
    process.stderr.write('the local stack did not start; see the line above\n')
    return up.code
  }
  const startedHere = /\bstarted\b/.test(up.stdout)
  try {
    return await work()
  } finally {
    if (startedHere && process.env['KEEP_STACK'] !== '1') {
      const down = await runNode([STACK, 'down'], true)
      if (down.code !== 0) process.stderr.write('stopping the local stack failed\n')
    }
  }
}
