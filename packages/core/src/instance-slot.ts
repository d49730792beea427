import { mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** Where the services' instances on this host count themselves (one folder for all of them). */
export const INSTANCE_DIR = path.join(tmpdir(), 'trends-instances')

export interface InstanceSlot {
  /** 0 for the first live instance of the name on this host, 1 for the second, and so on. */
  slot: number
  /** Gives the slot back (also done when the process exits). Idempotent. */
  release(): void
  /** A file of this slot's own (`<name>.<slot>.<suffix>` beside the pid file), kept for the next holder. */
  file(suffix: string): string
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

/** A slot file without a pid that is older than a starter takes to write one. */
function abandoned(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > 10_000
  } catch {
    return true
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
        return { slot, release, file: (suffix) => path.join(dir, `${name}.${slot}.${suffix}`) }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const holder = holderOf(file)
        if (holder !== undefined && (holder === pid || alive(holder))) break
        // No pid yet: another starter made the file and has not written it (a moment between two
        // calls), so it is held; only one left empty for long was abandoned by a process that died there.
        if (holder === undefined && !abandoned(file)) break
        // Left by a process that is gone (or half written long ago): take it over, unless another starter does first.
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

/** The instance slot of this process in consumer group `groupId`, in INSTANCE_DIR. */
export function claimGroupSlot(groupId: string, dir = INSTANCE_DIR): InstanceSlot {
  return claimInstanceSlot(dir, groupId.replace(/[^\w.-]/g, '_'))
}
