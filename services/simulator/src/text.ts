/**
 * Generated display text: hashtag names, creator names and handles, song titles, captions and ad
 * keywords. A few names carry the quirks real data has: a leading '#', a zero-width space, emoji, and
 * right-to-left scripts.
 */
import type { Rng } from './prng.ts'
import {
  ARTISTS,
  BIOS,
  CAPTIONS,
  CREATOR_NAMES,
  CREATOR_TOPICS,
  EMOJI,
  HASHTAG_GROUPS,
  HASHTAG_SUFFIXES,
  KEYWORD_MODIFIERS,
  KEYWORD_NOUNS,
  KEYWORD_PHRASES,
  KEYWORD_TAILS,
  SONG_TITLES,
  SONG_VERSIONS,
  type WordGroup,
} from './words.ts'

export const ZERO_WIDTH_SPACE = '\u200b'

const TOTAL_WEIGHT = HASHTAG_GROUPS.reduce((sum, group) => sum + group.weight, 0)

function pickGroup(rng: Rng): WordGroup {
  let roll = rng.next() * TOTAL_WEIGHT
  for (const group of HASHTAG_GROUPS) {
    roll -= group.weight
    if (roll < 0) return group
  }
  return HASHTAG_GROUPS[0] as WordGroup
}

/** Inserts a zero-width space somewhere inside `text` (never at the ends). */
function withZeroWidth(text: string, rng: Rng): string {
  const chars = [...text]
  if (chars.length < 2) return text + ZERO_WIDTH_SPACE
  const at = rng.int(1, chars.length - 1)
  return [...chars.slice(0, at), ZERO_WIDTH_SPACE, ...chars.slice(at)].join('')
}

/** A hashtag name, usually without '#', sometimes with one (as scraped data has). */
export function hashtagName(rng: Rng): string {
  const group = pickGroup(rng)
  let name = rng.pick(group.words)
  if (rng.chance(0.55)) {
    const second = rng.pick(group.words)
    if (second !== name) name = `${name}${group.joiner}${second}`
  }
  if (rng.chance(0.12)) name += rng.pick(HASHTAG_SUFFIXES)
  if (rng.chance(0.04)) name += rng.pick(EMOJI)
  if (rng.chance(0.03)) name = withZeroWidth(name, rng)
  if (rng.chance(0.03)) name = `#${name}`
  return name
}

export interface PersonText {
  nick: string
  handle: string
  bio: string
}

export function person(rng: Rng): PersonText {
  const [first, firstHandle] = rng.pick(CREATOR_NAMES)
  const [topic, topicHandle] = rng.pick(CREATOR_TOPICS)
  let nick = first
  const style = rng.int(0, 5)
  if (style === 0) nick = `${first} ${topic}`
  else if (style === 1) nick = `${first} | ${topic}`
  else if (style === 2) nick = `${first} ${String.fromCharCode(65 + rng.int(0, 25))}.`
  else if (style === 3) nick = `${first} • ${topic}`
  if (rng.chance(0.2)) nick = `${nick} ${rng.pick(EMOJI)}`
  if (rng.chance(0.02)) nick = withZeroWidth(nick, rng)
  const separator = rng.pick(['', '.', '_', '_'])
  const digits = rng.chance(0.5) ? String(rng.int(1, 9999)) : ''
  const handle = `${firstHandle}${separator}${rng.chance(0.6) ? topicHandle : ''}${digits}`.replace(/[._]$/, '')
  return { nick, handle, bio: rng.pick(BIOS) }
}

export interface SongText {
  title: string
  urlTitle: string
  author: string
}

export function song(rng: Rng, uploader: PersonText): SongText {
  if (rng.chance(0.25)) {
    const title = `original sound - ${uploader.handle}`
    return { title, urlTitle: title, author: uploader.nick }
  }
  const base = rng.pick(SONG_TITLES)
  const version = rng.pick(SONG_VERSIONS)
  return { title: base, urlTitle: `${base}${version}`, author: rng.pick(ARTISTS) }
}

/** A video caption, often followed by a few hashtags. */
export function caption(rng: Rng, tags: readonly string[]): string {
  let text = rng.pick(CAPTIONS)
  const count = rng.int(0, 3)
  for (let i = 0; i < count; i++) {
    const tag = rng.pick(tags).replace(/^#/, '').replaceAll(ZERO_WIDTH_SPACE, '')
    text += ` #${tag}`
  }
  return text
}

/** The `index`-th ad keyword in a language: local phrases first, then English combinations. */
export function keywordText(index: number, lang: string): string {
  const local = lang === 'en' ? [] : (KEYWORD_PHRASES[lang] ?? [])
  const phrases = [...local, ...(KEYWORD_PHRASES['en'] ?? [])]
  if (index < phrases.length) return phrases[index] as string
  const i = index - phrases.length
  const modifier = KEYWORD_MODIFIERS[i % KEYWORD_MODIFIERS.length] as string
  const noun = KEYWORD_NOUNS[Math.floor(i / KEYWORD_MODIFIERS.length) % KEYWORD_NOUNS.length] as string
  const tail = KEYWORD_TAILS[Math.floor(i / (KEYWORD_MODIFIERS.length * KEYWORD_NOUNS.length)) % KEYWORD_TAILS.length] as string
  return `${modifier} ${noun}${tail}`
}

/** How many distinct keywords keywordText can make for one language. */
export const KEYWORD_CAPACITY = KEYWORD_MODIFIERS.length * KEYWORD_NOUNS.length * KEYWORD_TAILS.length

/** A country's display name in English ("United States"), or the code when ICU has none. */
export function regionName(country: string): string {
  try {
    return REGIONS.of(country) ?? country
  } catch {
    return country
  }
}

const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' })
