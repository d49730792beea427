/** CDN-looking URLs. Signed image URLs expire at the end of the data day, as TikTok's do. */
import { dayStart, DAY_SECONDS } from './clock.ts'
import { createRng } from './prng.ts'

function signature(key: string, day: number): string {
  const rng = createRng('x-signature', key, day)
  return `${Buffer.from(rng.hex(40), 'hex').toString('base64').replace(/=+$/, '')}%3D`
}

function signed(base: string, key: string, day: number): string {
  return `${base}?lk3s=a5d48078&x-expires=${dayStart(day) + DAY_SECONDS}&x-signature=${signature(key, day)}`
}

function objectKey(key: string): string {
  return createRng('object', key).hex(32)
}

export function avatarUrl(key: string, day: number): string {
  const base = `https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/${objectKey(key)}~tplv-tiktokx-cropcenter:100:100.png`
  return signed(base, key, day)
}

export function videoCoverUrl(key: string, day: number): string {
  return signed(`https://p16-sign-va.tiktokcdn.com/tos-maliva-p-0068/${objectKey(key)}~tplv-noop.image`, key, day)
}

export function songCoverUrl(key: string): string {
  return `https://p16-sg.tiktokcdn.com/aweme/720x720/tos-alisg-v-2774/${objectKey(key)}.jpeg`
}

export function musicUrl(key: string): string {
  return `https://sf16-ies-music-va.tiktokcdn.com/obj/tos-useast2a-ve-2774/${objectKey(key)}.mp3`
}

export function playUrl(key: string, day: number): string {
  return signed(`https://v16m.tiktokcdn.com/${objectKey(key)}/video/tos/maliva/tos-maliva-ve-0068c799-us/v.mp4`, key, day)
}

export function profileUrl(handle: string): string {
  return `https://www.tiktok.com/@${handle}`
}

export function videoUrl(handle: string, itemId: string): string {
  return `https://www.tiktok.com/@${handle}/video/${itemId}`
}
