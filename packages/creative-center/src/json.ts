/**
 * JSON for an API that sends 64-bit ids as bare numbers. `JSON.parse` would round
 * 7603120458876214550 to 7603120458876214000; here an integer that does not fit a double exactly
 * keeps its source text as a string, so ids stay exact (and stay strings end to end).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

// A number token of 16+ digits right after `:`, `[` or `,`. Real ids inside strings do not match
// (a quote precedes them); a rare match inside a string only costs the slower exact path.
const BARE_BIG_INTEGER = /[:[,]\s*-?\d{16,}/

function keepBigIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
    return context.source
  }
  return value
}

/** Parses JSON text; integers beyond 2^53 come back as their exact decimal strings. Throws SyntaxError. */
export function parseJson(text: string): Json {
  // The reviver with source access is slower, so it runs only when a bare big number can be there.
  return BARE_BIG_INTEGER.test(text) ? (JSON.parse(text, keepBigIntegers as never) as Json) : (JSON.parse(text) as Json)
}

export interface Span {
  start: number
  end: number
}

const QUOTE = 34
const BACKSLASH = 92
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const COMMA = 44
const COLON = 58

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9
}

/** Index just past the string that opens at `start` (which holds a quote). */
function skipString(text: string, start: number): number {
  let i = start + 1
  for (;;) {
    const quote = text.indexOf('"', i)
    if (quote === -1) return text.length
    let backslashes = 0
    for (let j = quote - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    i = quote + 1
  }
}

/** Index just past the value that starts at `start` (an object, array, string or literal). */
function skipValue(text: string, start: number): number {
  const first = text.charCodeAt(start)
  if (first === QUOTE) return skipString(text, start)
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = start
    while (i < text.length) {
      const code = text.charCodeAt(i)
      if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break
      i++
    }
    return i
  }
  let depth = 0
  let i = start
  while (i < text.length) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) {
      i = skipString(text, i)
      continue
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--
      if (depth === 0) return i + 1
    }
    i++
  }
  return text.length
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  return i
}

/** Finds the value at `key` inside the object that starts at `start`; returns its start index. */
function findKey(text: string, objectStart: number, key: string): number | undefined {
  if (text.charCodeAt(objectStart) !== OPEN_BRACE) return undefined
  let i = skipSpace(text, objectStart + 1)
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i)
    const name = JSON.parse(text.slice(i, keyEnd)) as string
    i = skipSpace(text, keyEnd)
    if (text.charCodeAt(i) !== COLON) return undefined
    i = skipSpace(text, i + 1)
    if (name === key) return i
    i = skipSpace(text, skipValue(text, i))
    if (text.charCodeAt(i) !== COMMA) return undefined
    i = skipSpace(text, i + 1)
  }
  return undefined
}

/**
 * The exact source text of each element of the array at `path` (e.g. ['data', 'list']), for
 * already-valid JSON. Lets a record carry an item precisely as the server sent it, byte for byte,
 * including fields this code has never heard of. Undefined when the path is not an array.
 */
export function arrayElementSpans(text: string, path: readonly string[]): Span[] | undefined {
  let at = skipSpace(text, 0)
  for (const key of path) {
    const next = findKey(text, at, key)
    if (next === undefined) return undefined
    at = next
  }
  if (text.charCodeAt(at) !== OPEN_BRACKET) return undefined
  const spans: Span[] = []
  let i = skipSpace(text, at + 1)
  if (text.charCodeAt(i) === CLOSE_BRACKET) return spans
  while (i < text.length) {
    const end = skipValue(text, i)
    spans.push({ start: i, end })
    i = skipSpace(text, end)
    if (text.charCodeAt(i) !== COMMA) break
    i = skipSpace(text, i + 1)
  }
  return spans
}

/**
 * Deepest nesting of objects and arrays accepted, counting the body's own braces. The real API
 * nests about six levels (body → data → list → item → trend → point); parts of this code that
 * recurse (the big-integer reviver, JSON.stringify) overflow the stack somewhere near 10,000.
 */
export const MAX_JSON_DEPTH = 64

/** Why a JSON text is refused although it may parse: the kind of problem and where it starts. */
export interface JsonProblem {
  kind: 'too-deep' | 'duplicate-key' | 'number-out-of-range'
  /** Index in the text. */
  at: number
}

export interface ScanOptions {
  maxDepth?: number
  /** Also refuse a number no double holds (1e400 would parse as Infinity). */
  finiteNumbers?: boolean
}

const MINUS = 45
const LOWER_E = 101
const UPPER_E = 69
// Longest object checked for a repeated key by a linear search; bigger ones use a Set.
const LINEAR_KEYS = 24

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

function isNumberPart(code: number): boolean {
  return isDigit(code) || code === 46 || code === LOWER_E || code === UPPER_E || code === 43 || code === MINUS
}

/**
 * One open object or array. An object's keys are held as spans of the text, compared by length
 * and then character by character, so a scan allocates nothing for them; a frame moves to a Set of
 * key strings only past LINEAR_KEYS keys or at a key with an escape (`"\u0061"` is `"a"`).
 */
interface Frame {
  object: boolean
  starts: number[]
  ends: number[]
  count: number
  set: Set<string> | undefined
}

function sameText(text: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false
  return true
}

function hasBackslash(text: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (text.charCodeAt(k) === BACKSLASH) return true
  return false
}

/**
 * Adds the key whose text lies between `start` and `end` (inside its quotes) to an object's frame;
 * false when the object already has it. Throws SyntaxError for an escape that is not JSON.
 */
function addKey(text: string, frame: Frame, start: number, end: number): boolean {
  const escaped = hasBackslash(text, start, end)
  if (frame.set === undefined && !escaped && frame.count < LINEAR_KEYS) {
    const length = end - start
    for (let k = 0; k < frame.count; k++) {
      const other = frame.starts[k] ?? 0
      if ((frame.ends[k] ?? 0) - other === length && sameText(text, other, start, length)) return false
    }
    frame.starts[frame.count] = start
    frame.ends[frame.count] = end
    frame.count++
    return true
  }
  if (frame.set === undefined) {
    frame.set = new Set()
    for (let k = 0; k < frame.count; k++) frame.set.add(text.slice(frame.starts[k], frame.ends[k]))
  }
  const key = escaped ? (JSON.parse(text.slice(start - 1, end + 1)) as string) : text.slice(start, end)
  if (frame.set.has(key)) return false
  frame.set.add(key)
  return true
}

/**
 * One pass over JSON text, without recursion and before anything recursive sees it: the first
 * place nested deeper than `maxDepth`, a key repeated within one object (JSON.parse would keep the
 * last silently; "a" and "\u0061" are the same key), or, with `finiteNumbers`, a number beyond a
 * double's range. Undefined when there is none. Text that is not JSON at all is left for
 * JSON.parse to report. Frames are reused per depth, so a scan allocates little.
 */
export function scanJson(text: string, options: ScanOptions = {}, start = 0, end = text.length): JsonProblem | undefined {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH
  const finiteNumbers = options.finiteNumbers === true
  const frames: Frame[] = []
  let depth = 0
  let expectKey = false
  let i = start
  while (i < end) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) {
      const close = skipString(text, i)
      const frame = expectKey ? frames[depth - 1] : undefined
      if (frame !== undefined) {
        expectKey = false
        let added: boolean
        try {
          added = addKey(text, frame, i + 1, close - 1)
        } catch {
          return undefined
        }
        if (!added) return { kind: 'duplicate-key', at: i }
      }
      i = close
      continue
    }
    switch (code) {
      case OPEN_BRACE:
      case OPEN_BRACKET: {
        if (depth >= maxDepth) return { kind: 'too-deep', at: i }
        const object = code === OPEN_BRACE
        const frame = frames[depth]
        if (frame === undefined) frames[depth] = { object, starts: [], ends: [], count: 0, set: undefined }
        else {
          frame.object = object
          frame.count = 0
          frame.set = undefined
        }
        depth++
        expectKey = object
        break
      }
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        if (depth === 0) return undefined
        depth--
        expectKey = false
        break
      case COMMA:
        expectKey = frames[depth - 1]?.object === true
        break
      default:
        if (finiteNumbers && (isDigit(code) || code === MINUS)) {
          let j = i + 1
          let exponent = false
          while (j < end) {
            const next = text.charCodeAt(j)
            if (!isNumberPart(next)) break
            if (next === LOWER_E || next === UPPER_E) exponent = true
            j++
          }
          // Only an exponent or more than 308 digits can take a double to Infinity.
          if ((exponent || j - i > 308) && !Number.isFinite(Number(text.slice(i, j)))) return { kind: 'number-out-of-range', at: i }
          i = j
          continue
        }
    }
    i++
  }
  return undefined
}

/** Reads a nested value by path from parsed JSON; undefined when any step is missing. */
export function pathGet(value: Json | undefined, path: readonly string[]): Json | undefined {
  let current: Json | undefined = value
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined
    current = current[key]
  }
  return current
}
