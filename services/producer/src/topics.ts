import type { Family } from '@trends/creative-center'

/** Topic names, all under one prefix (`tiktok` by default; tests use a fresh prefix each). */
export interface Topics {
  tasks: string
  fetchLog: string
  deadLetters: string
  raw: (family: Family) => string
  allRaw: () => string[]
}

const FAMILIES: readonly Family[] = ['keyword', 'hashtag', 'sound', 'creator', 'video']

export function topicsFor(prefix: string): Topics {
  return {
    tasks: `${prefix}.tasks`,
    fetchLog: `${prefix}.fetch-log`,
    deadLetters: `${prefix}.dead-letters`,
    raw: (family) => `${prefix}.raw.${family}s`,
    allRaw: () => FAMILIES.map((family) => `${prefix}.raw.${family}s`),
  }
}
