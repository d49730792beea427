import { randomBytes } from 'node:crypto'

/** A short random suffix for names that must not collide (test topics, group ids, tables). */
export function randomSuffix(bytes = 6): string {
  return randomBytes(bytes).toString('hex')
}
