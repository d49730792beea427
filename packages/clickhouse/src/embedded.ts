import { createChdbConnection } from 'chdb/connection'

type ChdbConnection = ReturnType<typeof createChdbConnection>
type QueryParams = Parameters<ChdbConnection['query']>[0]
type ExecParams = Parameters<ChdbConnection['exec']>[0]
type InsertParams = Parameters<ChdbConnection['insert']>[0]
type Settings = QueryParams['clickhouse_settings']

/** One queue per data folder: chDB runs one engine per process, and its session state is shared. */
const queues = new Map<string, { tail: Promise<unknown> }>()

function serialOn(path: string) {
  let queue = queues.get(path)
  if (queue === undefined) {
    queue = { tail: Promise.resolve() }
    queues.set(path, queue)
  }
  const slot = queue
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = slot.tail.then(work, work)
    slot.tail = run.catch(() => undefined)
    return run
  }
}

function literal(value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'boolean') return value ? '1' : '0'
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

// What @clickhouse/client sends for HTTP only; the engine has no such settings.
const HTTP_ONLY = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'enable_http_compression', 'http_zlib_compression_level'])

function settingPairs(settings: Settings): Array<[string, unknown]> {
  return Object.entries(settings ?? {}).filter(([key, value]) => {
    if (value === undefined || HTTP_ONLY.has(key) || key === 'default_format') return false
    if (!/^[A-Za-z_]\w*$/.test(key)) throw new Error(`invalid setting name ${JSON.stringify(key)}`)
    return true
  })
}

/**
 * Puts settings into the statement's own SETTINGS clause, before a trailing FORMAT (as
 * @clickhouse/client ends selects and inserts), so they hold for this statement only.
 */
export function withInlineSettings(sql: string, settings: Settings): string {
  const pairs = settingPairs(settings)
  if (pairs.length === 0) return sql
  const clause = pairs.map(([key, value]) => `${key} = ${literal(value)}`).join(', ')
  const format = /\s+FORMAT\s+\w+\s*$/i.exec(sql)
  const head = format === null ? sql : sql.slice(0, format.index)
  const tail = format === null ? '' : format[0]
  // A statement that already ends in a SETTINGS clause gets the pairs added to it.
  const joined = /\sSETTINGS\s+[^()'"]*$/i.test(head) ? `${head}, ${clause}` : `${head} SETTINGS ${clause}`
  return `${joined}${tail}`
}

export const identifier = (name: string) => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``

/**
 * The embedded store behind @clickhouse/client, on chdb's connection with three differences that
 * make it behave like a server: statements of all clients on a folder run one at a time; each runs
 * in its client's database (chdb's connection ignores the database); and settings hold for one
 * statement only (chdb's connection applies them with SET, which stays for the rest of the
 * session — a deduplication token would leak into the next insert).
 */
export function createEmbeddedConnection(path: string, database: string, options: { createDatabase?: boolean } = {}) {
  const inner = createChdbConnection({ path })
  const serial = serialOn(path)
  // In-process, the embedded store is the project's own: its database is made on first use. The
  // HTTP server turns this off, so a client naming a database that does not exist gets an error.
  const create = options.createDatabase === false ? '' : `CREATE DATABASE IF NOT EXISTS ${identifier(database)}; `
  let use = `${create}USE ${identifier(database)}; `
  const used = <T>(result: T): T => {
    use = `USE ${identifier(database)}; `
    return result
  }
  const formatOnly = (settings: Settings): Settings =>
    settings?.default_format === undefined ? {} : { default_format: settings.default_format }

  /** For statements without a FORMAT clause (DDL): SET before, back to DEFAULT after, in one slot. */
  async function withSessionSettings<T>(settings: Settings, run: (prefix: string) => Promise<T>): Promise<T> {
    const pairs = settingPairs(settings)
    const set = pairs.map(([key, value]) => `SET ${key} = ${literal(value)}; `).join('')
    try {
      return used(await run(`${use}${set}`))
    } finally {
      if (pairs.length > 0)
        await inner.command({ query: pairs.map(([key]) => `SET ${key} = DEFAULT`).join('; '), query_id: 'reset-settings' })
    }
  }

  return {
    connectionName: 'trends-embedded',
    query: (params: QueryParams) =>
      serial(async () =>
        used(
          await inner.query({
            ...params,
            query: `${use}${withInlineSettings(params.query, params.clickhouse_settings)}`,
            clickhouse_settings: formatOnly(params.clickhouse_settings),
          }),
        ),
      ),
    insert: (params: InsertParams) =>
      serial(async () =>
        used(
          await inner.insert({
            ...params,
            query: `${use}${withInlineSettings(params.query, params.clickhouse_settings)}`,
            clickhouse_settings: {},
          }),
        ),
      ),
    command: (params: QueryParams) =>
      serial(() =>
        withSessionSettings(params.clickhouse_settings, (prefix) =>
          inner.command({ ...params, query: `${prefix}${params.query}`, clickhouse_settings: {} }),
        ),
      ),
    exec: (params: ExecParams) =>
      serial(() =>
        withSessionSettings(params.clickhouse_settings, (prefix) =>
          inner.exec({ ...params, query: `${prefix}${params.query}`, clickhouse_settings: formatOnly(params.clickhouse_settings) }),
        ),
      ),
    ping: (params: Parameters<ChdbConnection['ping']>[0]) => serial(() => inner.ping(params)),
    close: () => serial(() => inner.close()),
  }
}
