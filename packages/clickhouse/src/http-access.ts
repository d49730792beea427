import type { IncomingMessage } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import { ClickHouseRefusal } from './refusal.ts'

/**
 * Who may talk to the embedded store over HTTP: requests addressed to this server by name (a DNS
 * rebinding page reaches 127.0.0.1 under its own host name), from no browser page or from an allowed
 * origin only, with the credentials of a configured user.
 */

/** `host:port` forms a client addressing this server sends: the loopback names and the configured host. */
export function allowedHosts(host: string, port: number): ReadonlySet<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', host.includes(':') ? `[${host.toLowerCase()}]` : host.toLowerCase()])
  const hosts = new Set<string>()
  for (const name of names) {
    hosts.add(`${name}:${port}`)
    // A client leaves the port out when it is the scheme's default.
    if (port === 80) hosts.add(name)
  }
  return hosts
}

const deniedHost = () => new ClickHouseRefusal(497, 'ACCESS_DENIED', 'The request is not addressed to this server (Host header)')
const deniedOrigin = () =>
  new ClickHouseRefusal(497, 'ACCESS_DENIED', 'Requests from this web origin are not allowed (CLICKHOUSE_HTTP_ALLOWED_ORIGINS)')

/**
 * The request's allowed Origin, undefined when it has none; throws ACCESS_DENIED (403) for a foreign
 * Host, no Host, a foreign Origin, or a browser that says the request is cross-site without an
 * Origin (an image or a link: Sec-Fetch-Site is sent on those, Origin is not).
 */
export function checkAccess(request: IncomingMessage, hosts: ReadonlySet<string>, origins: ReadonlySet<string>): string | undefined {
  const host = request.headers.host?.toLowerCase()
  if (host === undefined || !hosts.has(host)) throw deniedHost()
  const origin = request.headers.origin
  if (origin !== undefined) {
    if (!origins.has(origin)) throw deniedOrigin()
    return origin
  }
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') throw deniedOrigin()
  return undefined
}

/**
 * CORS for an allowed origin: its pages may send credentials in headers (Authorization or
 * X-ClickHouse-User/Key), a compressed body, and read ClickHouse's response headers. No
 * Allow-Credentials: a page must hold the password itself; the browser never adds cookies or a
 * remembered login on the page's behalf.
 */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers':
      'X-ClickHouse-Query-Id, X-ClickHouse-Format, X-ClickHouse-Summary, X-ClickHouse-Exception-Code, X-ClickHouse-Timezone',
  }
}

/** The answer to a preflight OPTIONS from an allowed origin. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers':
      'Authorization, Content-Type, Content-Encoding, X-ClickHouse-User, X-ClickHouse-Key, X-ClickHouse-Database, X-ClickHouse-Format',
    'access-control-max-age': '600',
  }
}

interface Credentials {
  user: string
  password: string
}

/** Basic auth, X-ClickHouse-User/Key headers, or user/password parameters, as ClickHouse reads them. */
function credentialsOf(request: IncomingMessage, params: URLSearchParams): Credentials {
  const header = request.headers['x-clickhouse-user']
  if (typeof header === 'string') {
    const key = request.headers['x-clickhouse-key']
    return { user: header, password: typeof key === 'string' ? key : '' }
  }
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  return { user: params.get('user') ?? 'default', password: params.get('password') ?? '' }
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

// One answer for no credentials, an unknown user and a wrong password, naming none of them.
const authenticationFailed = () =>
  new ClickHouseRefusal(516, 'AUTHENTICATION_FAILED', 'Authentication failed: password is incorrect, or there is no user with such name')

/**
 * Checks a request's credentials against the users in constant time: every user is compared, by
 * SHA-256 digests (equal length whatever was sent), so the time taken says neither which user
 * matched nor how much of a password was right. Returns the user; throws AUTHENTICATION_FAILED (401).
 */
export function createAuthenticator(
  users: Readonly<Record<string, string>>,
): (request: IncomingMessage, params: URLSearchParams) => string {
  const known = Object.entries(users).map(([user, password]) => ({ user, userDigest: digest(user), passwordDigest: digest(password) }))
  return (request, params) => {
    const given = credentialsOf(request, params)
    const userDigest = digest(given.user)
    const passwordDigest = digest(given.password)
    let matched: string | undefined
    for (const entry of known) {
      const same = Number(timingSafeEqual(userDigest, entry.userDigest)) & Number(timingSafeEqual(passwordDigest, entry.passwordDigest))
      if (same === 1) matched = entry.user
    }
    if (matched === undefined) throw authenticationFailed()
    return matched
  }
}
