/**
 * The simulator's JSON writer. TikTok sends some 64-bit ids as bare JSON numbers (legacy
 * `related_items[].item_id`, Report `itemID` without `agw-js-conv: str`). JSON.stringify cannot write a
 * 19-digit integer without rounding it, so such values are wrapped in BareNumber and written verbatim.
 */

export class BareNumber {
  readonly digits: string

  constructor(digits: string) {
    if (!/^-?\d+$/.test(digits)) throw new Error(`not an integer: ${digits}`)
    this.digits = digits
  }
}

export type Json = null | boolean | number | string | BareNumber | Json[] | JsonObject
export interface JsonObject {
  [key: string]: Json | undefined
}

/** A 64-bit value as the gateway writes it: a string with `agw-js-conv: str`, otherwise a bare number. */
export function int64(value: string | number, asString: boolean): Json {
  const text = typeof value === 'number' ? String(Math.round(value)) : value
  return asString ? text : new BareNumber(text)
}

/** Like JSON.stringify (keys in insertion order, undefined members skipped), plus BareNumber. */
export function toJsonText(value: Json): string {
  if (value === null) return 'null'
  if (value instanceof BareNumber) return value.digits
  if (Array.isArray(value)) return `[${value.map((item) => toJsonText(item)).join(',')}]`
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    default: {
      const members: string[] = []
      for (const [key, member] of Object.entries(value)) {
        if (member !== undefined) members.push(`${JSON.stringify(key)}:${toJsonText(member)}`)
      }
      return `{${members.join(',')}}`
    }
  }
}

/** Rounds to `places` decimals for values that should look like the API's (2 dp percentages etc.). */
export function round(value: number, places: number): number {
  const factor = 10 ** places
  return Math.round(value * factor) / factor
}
