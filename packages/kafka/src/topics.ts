/** The pipeline's topic names, all under one prefix (`tiktok` by default; tests use a fresh one each). */
export interface Topics {
  tasks: string
  fetchLog: string
  deadLetters: string
  cleaned: string
  raw: (family: string) => string
  allRaw: () => string[]
}

const FAMILIES = ['keyword', 'hashtag', 'sound', 'creator', 'video'] as const

export function topicsFor(prefix: string): Topics {
  return {
    tasks: `${prefix}.tasks`,
    fetchLog: `${prefix}.fetch-log`,
    deadLetters: `${prefix}.dead-letters`,
    cleaned: `${prefix}.trends.cleaned`,
    raw: (family) => `${prefix}.raw.${family}s`,
    allRaw: () => FAMILIES.map((family) => `${prefix}.raw.${family}s`),
  }
}
