import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import path from 'node:path'

export interface InstanceSlot {
  /** 0 for the first live instance of the name on this host, 1 for the second, and so on. */
  slot: number
  /** Gives the slot back (also done when the process exits). Idempotent. */
  release(): void
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function holderOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * The lowest slot of `name` in `dir` that no live process holds, held by this one until it exits.
 * It gives several instances of a service on one host distinct names that stay the same across a
 * restart: a restarted instance takes its old slot back, since its old process is gone. (A
 * transactional id built from it fences the dead instance's producer and aborts its open
 * transaction at once, instead of leaving readers behind it until the transaction times out.)
 * A slot is a file `<name>.<slot>.pid` made with O_EXCL, so two processes starting together cannot
 * both take it; a file whose process is gone is taken over.
 */
export function claimInstanceSlot(dir: string, name: string, pid = process.pid): InstanceSlot {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  for (let slot = 0; slot < 10_000; slot++) {
    const file = path.join(dir, `${name}.${slot}.pid`)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600)
        writeSync(fd, `${pid}\n`)
        closeSync(fd)
        let released = false
        const release = () => {
          if (released) return
          released = true
          process.off('exit', release)
          if (holderOf(file) === pid) unlinkSync(file)
        }
        process.on('exit', release)
        return { slot, release }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const holder = holderOf(file)
        if (holder !== undefined && (holder === pid || alive(holder))) break
        // Left by a process that is gone (or half written): take it over, unless another starter does first.
        try {
          unlinkSync(file)
        } catch (unlinkError) {
          if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError
        }
      }
    }
  }
  throw new Error(`no free instance slot for ${name} in ${dir}`)
}
