import { closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, type Stats } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { TrendsError } from '@trends/core'

/**
 * The password of the embedded store's HTTP server when CLICKHOUSE_HTTP_USERS names no users: made
 * on the first start, kept in the store's own folder (so it goes with the data it guards), reused on
 * every later start, and read by `trends run` and the CLI so nobody has to copy it anywhere.
 */
export const PASSWORD_FILE_NAME = 'http-password'

export function passwordFile(dataPath: string): string {
  return path.join(path.resolve(dataPath), PASSWORD_FILE_NAME)
}

/**
 * Thrown (CLICKHOUSE_PASSWORD_FILE) when the password file exists but others may read it, it is not
 * a regular file of this user, it cannot be read, or it holds no password. The message names the
 * file and the fix, never its content.
 */
export class PasswordFileError extends TrendsError {
  constructor(message: string, cause?: unknown) {
    super('CLICKHOUSE_PASSWORD_FILE', message, cause === undefined ? {} : { cause })
  }
}

function checked(file: string, stats: Stats): void {
  if (!stats.isFile()) throw new PasswordFileError(`${file} is not a regular file: remove it and start again to get a new password`)
  const uid = process.getuid?.()
  if (uid !== undefined && stats.uid !== uid)
    throw new PasswordFileError(`${file} belongs to another user (uid ${stats.uid}): chown it to this user, or remove it`)
  if ((stats.mode & 0o077) !== 0)
    throw new PasswordFileError(
      `${file} is readable by group or others (mode ${(stats.mode & 0o777).toString(8)}): chmod 600 it, or remove it for a new password`,
    )
}

function readChecked(file: string): string | undefined {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new PasswordFileError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error)
  }
  try {
    // Checked on the open descriptor, so the file read is the file checked.
    checked(file, fstatSync(fd))
    let text: string
    try {
      text = readFileSync(fd, 'utf8').trim()
    } catch (error) {
      throw new PasswordFileError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error)
    }
    if (text === '' || /\s/.test(text)) throw new PasswordFileError(`${file} holds no password: remove it and start again to get a new one`)
    return text
  } finally {
    closeSync(fd)
  }
}

/** The generated password, or undefined when none was made yet; throws PasswordFileError when the file is unsafe. */
export function readPassword(dataPath: string): string | undefined {
  return readChecked(passwordFile(dataPath))
}

/**
 * The generated password, made now if there is none: 32 random bytes, base64url. The file is
 * written whole under a temporary name with mode 0600 and linked into place, so no reader ever sees
 * it half-written or with a wider mode, and of two processes starting at once one wins and both use
 * its password.
 */
export function ensurePassword(dataPath: string): string {
  const file = passwordFile(dataPath)
  const existing = readChecked(file)
  if (existing !== undefined) return existing
  mkdirSync(path.dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const password = randomBytes(32).toString('base64url')
  let fd: number
  try {
    fd = openSync(temporary, 'wx', 0o600)
  } catch (error) {
    throw new PasswordFileError(`${file} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error)
  }
  try {
    writeSync(fd, `${password}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(temporary, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new PasswordFileError(`${file} cannot be written`, error)
  } finally {
    unlinkSync(temporary)
  }
  const stored = readChecked(file)
  if (stored === undefined) throw new PasswordFileError(`${file} vanished while it was made`)
  return stored
}
