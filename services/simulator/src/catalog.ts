/**
 * The simulated world: hashtags and sounds (global), creators, videos and ad keywords (per country).
 * Identity (ids, names) depends only on the seed and the index, never on the day, so an entity keeps
 * its id and name across days, charts and both API generations. Built lazily and kept.
 */
import { createRng, snowflake, type Rng } from './prng.ts'
import { caption, hashtagName, KEYWORD_CAPACITY, keywordText, person, song } from './text.ts'
import { countryLang, INDUSTRY_IDS } from './words.ts'

export interface Hashtag {
  key: string
  id: string
  name: string
  /** Industry ids (strings of 11 digits); empty for hashtags without one. */
  industries: readonly string[]
  promoted: boolean
  weight: number
  viewsPerPost: number
}

export interface Creator {
  key: string
  tcmId: string
  userId: string
  /** The TikTok One creator id (18 digits). */
  oneId: string
  nick: string
  handle: string
  bio: string
  country: string
  followerBase: number
  likesPerFollower: number
}

export interface Video {
  key: string
  itemId: string
  createTime: number
  title: string
  duration: number
  author: Creator
  contentType: number
  weight: number
}

export interface Sound {
  key: string
  clipId: string
  songId: string
  cmlMid: string | undefined
  title: string
  urlTitle: string
  author: string
  duration: number
  cml: boolean
  search: boolean
  promoted: boolean
  hasMusicUrl: boolean
  weight: number
}

export interface Keyword {
  key: string
  text: string
  videoIds: readonly string[]
}

export interface Catalog {
  hashtags(): readonly Hashtag[]
  sounds(): readonly Sound[]
  creators(country: string): readonly Creator[]
  videos(country: string): readonly Video[]
  keywords(country: string): readonly Keyword[]
}

const SIZES = { hashtags: 2500, sounds: 1500, creators: 600, videos: 900, keywords: 1200 }

/**
 * 2026-01-01T00:00:00Z: generated videos were posted in the 200 days before it. Fixed, because an id
 * encodes its creation time and ids must not change with the data day.
 */
export const VIDEO_EPOCH = 1_767_225_600
const YEAR = 365 * 86_400

function weight(rng: Rng): number {
  return Math.exp(1.1 * rng.normal())
}

/** Regenerates until `make` gives a value not seen yet (ids and names are unique within a universe). */
function unique<T>(seen: Set<string>, make: () => T, keyOf: (value: T) => string): T {
  for (let attempt = 0; ; attempt++) {
    const value = make()
    const key = keyOf(value)
    if (!seen.has(key) || attempt > 50) {
      seen.add(key)
      return value
    }
  }
}

function hashtagId(rng: Rng): string {
  const kind = rng.next()
  if (kind < 0.15) return rng.digits(rng.int(5, 7))
  if (kind < 0.5) return `16${rng.digits(14)}`
  return snowflake(VIDEO_EPOCH - rng.int(0, 7 * YEAR), rng)
}

function memo<T>(build: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>()
  return (key) => {
    let value = cache.get(key)
    if (value === undefined) {
      value = build(key)
      cache.set(key, value)
    }
    return value
  }
}

export function createCatalog(seed: number): Catalog {
  const hashtags = memo((): Hashtag[] => {
    const ids = new Set<string>()
    const names = new Set<string>()
    return Array.from({ length: SIZES.hashtags }, (_, index) => {
      const rng = createRng(seed, 'hashtag', index)
      const industries = rng.chance(0.3) ? [] : [rng.pick(INDUSTRY_IDS)]
      if (industries.length > 0 && rng.chance(0.2)) industries.push(rng.pick(INDUSTRY_IDS.filter((id) => id !== industries[0])))
      return {
        key: `h${index}`,
        id: unique(
          ids,
          () => hashtagId(rng),
          (id) => id,
        ),
        name: unique(
          names,
          () => hashtagName(rng),
          (name) => name.toLowerCase(),
        ),
        industries,
        promoted: rng.chance(0.05),
        weight: weight(rng),
        viewsPerPost: rng.int(400, 9000),
      }
    })
  })

  const sounds = memo((): Sound[] => {
    const ids = new Set<string>()
    return Array.from({ length: SIZES.sounds }, (_, index) => {
      const rng = createRng(seed, 'sound', index)
      const text = song(rng, person(rng))
      const songId = snowflake(VIDEO_EPOCH - rng.int(30, 900) * 86_400, rng)
      return {
        key: `s${index}`,
        clipId: unique(
          ids,
          () => snowflake(VIDEO_EPOCH - rng.int(0, 600) * 86_400, rng),
          (id) => id,
        ),
        songId,
        cmlMid: rng.chance(0.6) ? songId : undefined,
        ...text,
        duration: rng.pick([15, 20, 30, 45, 60, 60, 60]),
        cml: rng.chance(0.55),
        search: rng.chance(0.3),
        promoted: rng.chance(0.04),
        hasMusicUrl: rng.chance(0.4),
        weight: weight(rng),
      }
    })
  })

  const creators = memo((country: string): Creator[] => {
    const handles = new Set<string>()
    return Array.from({ length: SIZES.creators }, (_, index) => {
      const rng = createRng(seed, 'creator', country, index)
      const text = unique(
        handles,
        () => person(rng),
        (value) => value.handle,
      )
      return {
        key: `c:${country}:${index}`,
        tcmId: snowflake(VIDEO_EPOCH - rng.int(1 * YEAR, 5 * YEAR), rng),
        userId: snowflake(VIDEO_EPOCH - rng.int(3 * YEAR, 9 * YEAR), rng),
        oneId: rng.digits(18),
        ...text,
        country,
        followerBase: Math.round(Math.exp(11 + 1.6 * Math.abs(rng.normal()))),
        likesPerFollower: 5 + rng.next() * 40,
      }
    })
  })

  const videos = memo((country: string): Video[] => {
    const people = creators(country)
    const tags = hashtags('').map((tag) => tag.name)
    return Array.from({ length: SIZES.videos }, (_, index) => {
      const rng = createRng(seed, 'video', country, index)
      const createTime = VIDEO_EPOCH - rng.int(0, 200 * 86_400)
      return {
        key: `v:${country}:${index}`,
        itemId: snowflake(createTime, rng),
        createTime,
        title: caption(rng, tags),
        duration: rng.int(6, 180),
        author: rng.pick(people),
        contentType: rng.chance(0.9) ? 1 : 2,
        weight: weight(rng),
      }
    })
  })

  const keywords = memo((country: string): Keyword[] => {
    const pool = videos(country)
    const lang = countryLang(country)
    const count = Math.min(SIZES.keywords, KEYWORD_CAPACITY)
    return Array.from({ length: count }, (_, index) => {
      const rng = createRng(seed, 'keyword', country, index)
      return {
        key: `k:${country}:${index}`,
        text: keywordText(index, lang),
        videoIds: Array.from({ length: 5 }, () => rng.pick(pool).itemId),
      }
    })
  })

  return { hashtags: () => hashtags(''), sounds: () => sounds(''), creators, videos, keywords }
}
