import { TrendsError } from '@trends/core'

/**
 * The migrations rendered for a ClickHouse cluster (CLICKHOUSE_CLUSTER, a cluster of the servers'
 * `remote_servers`). The migration files stay written for one node; each statement is rendered as
 * it is applied:
 *
 * - CREATE TABLE / VIEW / MATERIALIZED VIEW, ALTER TABLE, DROP, RENAME and EXCHANGE TABLES get
 *   `ON CLUSTER <name>` where ClickHouse's grammar has it (after the name; at the end for RENAME
 *   and EXCHANGE), so every server of the cluster runs them.
 * - A MergeTree-family engine becomes its Replicated form, with the table's own path in Keeper
 *   first: `ReplacingMergeTree(v)` → `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/
 *   {database}/<table>/{uuid}', '{replica}', v)`. `{uuid}` (the table's UUID, the same on every
 *   replica of an ON CLUSTER create) keeps a path to one table: 014 makes a table, exchanges it for
 *   another and drops the old one, and a run again after a failure makes it anew while Keeper may
 *   still hold the path of the dropped one, or the exchanged table holds the name-based path.
 * - `non_replicated_deduplication_window` becomes `replicated_deduplication_window` with the same
 *   value. The sink's insert_deduplication_token needs a deduplication window on each table it
 *   reaches; a Replicated table keeps its window of block ids in Keeper, shared by its replicas, so
 *   a batch inserted again through any replica adds nothing.
 * - Each table of DISTRIBUTED_TABLES gets a Distributed companion `<table>_all` over the cluster,
 *   made after the table and made again after a statement that changes its columns or swaps it
 *   (it holds no rows, so making it again costs nothing).
 *
 * Where the rows go: the sink inserts into the local Replicated tables of the server it talks to,
 * under the same names as on one node, never into the Distributed companions. An insert into a
 * Replicated table is acknowledged once it is in that table (a Distributed table acknowledges when
 * the block is queued for a later send, so the sink's ledger would count a batch stored before it
 * is), the deduplication token is checked against the shard's shared window, and the materialized
 * views on that table run on the server that took the insert, writing to Replicated tables in
 * turn. The sink's fence (write a claim, then read the latest) and the ledger read their own
 * writes on that server too. With one shard (the cluster docker-compose.cluster.yml runs), every
 * replica holds every row, so the views, the signals stage and the CLI read the local tables as
 * they do on one node. The companions are for reading through any server with its load balancing,
 * and for a cluster of more shards later; they have no sharding key, so an insert through one on a
 * cluster of several shards is refused rather than scattering rows that must merge together.
 *
 * INSERT … SELECT (014's copy) runs unchanged on the server the migrations talk to; replication
 * takes the rows to the other replicas. Statements of other kinds, and shapes a cluster cannot take
 * as they are, are refused with CLUSTER_UNSUPPORTED_STATEMENT before any statement of the
 * migration runs.
 */

/** The data tables the pipeline's queries read or the sink inserts into: each gets a companion. */
export const DISTRIBUTED_TABLES: readonly string[] = [
  'trend_observations',
  'trend_curve_points',
  'trend_latest',
  'trend_item_stats',
  'fetch_log',
  'dead_letters',
  'trend_signals',
  'sink_batches',
  'sink_claims',
]

/** `<table>_all`: the Distributed companion of a table. */
export const distributedName = (table: string) => `${table}_all`

/** A cluster name as CLICKHOUSE_CLUSTER takes it: written into statements as a plain identifier. */
export const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The engines with a Replicated form this renders. */
const MERGE_TREE = /^(|Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite|Coalescing)MergeTree$/

const unsupported = (what: string) =>
  new TrendsError('CLUSTER_UNSUPPORTED_STATEMENT', `cannot render for a cluster: ${what}`, { retryable: false })

interface Token {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'symbol'
  /** The token as written. */
  text: string
  /** A name's value: a word as written, a quoted name without its quotes. */
  value: string
  start: number
  end: number
  /** Brackets around the token; a bracket itself counts the depth outside it. */
  depth: number
}

const WORD = /[A-Za-z_][A-Za-z0-9_$]*/y
const NUMBER = /[0-9][0-9A-Za-z_.]*/y

function unquote(text: string): string {
  const quote = text[0] ?? ''
  return text
    .slice(1, -1)
    .replaceAll(quote + quote, quote)
    .replace(/\\(.)/g, '$1')
}

/** Tokens of one statement: names, literals and symbols, comments and blanks skipped. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let depth = 0
  let i = 0
  while (i < sql.length) {
    const c = sql[i] ?? ''
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end
      continue
    }
    if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2)
      if (end === -1) throw unsupported('a comment that does not end')
      i = end + 2
      continue
    }
    const start = i
    if (c === "'" || c === '`' || c === '"') {
      i++
      for (;;) {
        if (i >= sql.length) throw unsupported(`a quote that does not end (${c})`)
        if (sql[i] === '\\') i += 2
        else if (sql[i] === c && sql[i + 1] === c) i += 2
        else if (sql[i] === c) break
        else i++
      }
      i++
      const text = sql.slice(start, i)
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text, value: unquote(text), start, end: i, depth })
      continue
    }
    for (const [kind, pattern] of [
      ['word', WORD],
      ['number', NUMBER],
    ] as const) {
      pattern.lastIndex = i
      const match = pattern.exec(sql)
      if (match !== null) {
        i += match[0].length
        tokens.push({ kind, text: match[0], value: match[0], start, end: i, depth })
        break
      }
    }
    if (i > start) continue
    if (c === ')' || c === ']') depth--
    tokens.push({ kind: 'symbol', text: c, value: c, start, end: i + 1, depth })
    if (c === '(' || c === '[') depth++
    i++
  }
  return tokens
}

interface Name {
  /** The parts of `[db.]name`. */
  parts: string[]
  end: number
  /** Index of the token after the name. */
  next: number
}

interface Edit {
  start: number
  end: number
  text: string
}

function applyEdits(sql: string, edits: Edit[]): string {
  let out = sql
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end)
  return out
}

/**
 * The statement(s) to run for `statement` on `cluster`; the statement itself, unchanged, when no
 * cluster is set (one node). Throws CLUSTER_UNSUPPORTED_STATEMENT for what it cannot render.
 */
export function renderForCluster(statement: string, cluster: string | undefined): string[] {
  if (cluster === undefined || cluster === '') return [statement]
  if (!CLUSTER_NAME.test(cluster))
    throw new TrendsError('CONFIG_INVALID', `cluster name ${JSON.stringify(cluster)}: letters, digits and _, not starting with a digit`)

  const tokens = tokenize(statement)
  const isWord = (i: number, ...words: string[]) =>
    words.every((word, k) => {
      const token = tokens[i + k]
      return token?.kind === 'word' && token.value.toUpperCase() === word
    })
  const describe = (from: number, count: number) =>
    tokens
      .slice(from, from + count)
      .map((token) => token.text)
      .join(' ')
  const readName = (i: number): Name => {
    const first = tokens[i]
    if (first === undefined || (first.kind !== 'word' && first.kind !== 'quoted')) throw unsupported(`no name after ${describe(0, i)}`)
    const second = tokens[i + 2]
    if (tokens[i + 1]?.text === '.' && second !== undefined && (second.kind === 'word' || second.kind === 'quoted'))
      return { parts: [first.value, second.value], end: second.end, next: i + 3 }
    return { parts: [first.value], end: first.end, next: i + 1 }
  }
  const refuseOnCluster = (i: number) => {
    if (isWord(i, 'ON', 'CLUSTER')) throw unsupported(`${describe(0, i)} already names a cluster`)
  }
  const onCluster = ` ON CLUSTER ${cluster}`
  /** The bare name of a table that has a companion, or undefined. */
  const listed = (name: Name) => (name.parts.length === 1 && DISTRIBUTED_TABLES.includes(name.parts[0]!) ? name.parts[0] : undefined)
  const dropCompanion = (table: string) => `DROP TABLE IF EXISTS ${distributedName(table)}${onCluster}`
  const createCompanion = (table: string) =>
    `CREATE TABLE IF NOT EXISTS ${distributedName(table)}${onCluster} AS ${table} ENGINE = Distributed(${cluster}, currentDatabase(), ${table})`
  /** `non_replicated_deduplication_window` → `replicated_deduplication_window`, outside brackets. */
  const windowEdits = (from: number): Edit[] =>
    tokens
      .slice(from)
      .filter((token) => token.depth === 0 && token.kind === 'word' && token.value.toLowerCase() === 'non_replicated_deduplication_window')
      .map((token) => ({ start: token.start, end: token.end, text: 'replicated_deduplication_window' }))

  const head = tokens[0]?.kind === 'word' ? tokens[0].value.toUpperCase() : ''
  switch (head) {
    case 'CREATE': {
      let i = 1
      if (isWord(i, 'OR', 'REPLACE')) i += 2
      if (isWord(i, 'TEMPORARY')) throw unsupported('CREATE TEMPORARY TABLE (a temporary table lives in one session of one server)')
      let kind: 'table' | 'view' | 'materialized view'
      if (isWord(i, 'TABLE')) [kind, i] = ['table', i + 1]
      else if (isWord(i, 'VIEW')) [kind, i] = ['view', i + 1]
      else if (isWord(i, 'MATERIALIZED', 'VIEW')) [kind, i] = ['materialized view', i + 2]
      else throw unsupported(`${describe(0, i + 1)} (only tables, views and materialized views)`)
      if (isWord(i, 'IF', 'NOT', 'EXISTS')) i += 3
      const name = readName(i)
      let at = name.end
      let next = name.next
      const uuid = tokens[next + 1]
      if (isWord(next, 'UUID') && uuid?.kind === 'string') [at, next] = [uuid.end, next + 2]
      refuseOnCluster(next)
      const edits: Edit[] = [{ start: at, end: at, text: onCluster }]
      if (kind === 'materialized view' && !isWord(next, 'TO'))
        throw unsupported(
          `materialized view ${name.parts.join('.')} without TO (its rows would stay in an inner table of each server, refreshed or not; write it TO a table)`,
        )
      if (kind !== 'table') return [applyEdits(statement, edits)]

      // The engine clause, outside brackets and before any query the table is made from.
      let engineAt = -1
      for (let k = next; k < tokens.length; k++) {
        const token = tokens[k]!
        if (token.depth > 0) continue
        if (isWord(k, 'SELECT') || isWord(k, 'WITH')) break
        if (isWord(k, 'ENGINE')) {
          engineAt = k
          break
        }
      }
      if (engineAt === -1)
        throw unsupported(`table ${name.parts.join('.')} without ENGINE (its engine would be copied or defaulted, not replicated; name it)`)
      const engineIndex = tokens[engineAt + 1]?.text === '=' ? engineAt + 2 : engineAt + 1
      const engine = tokens[engineIndex]
      if (engine?.kind !== 'word') throw unsupported(`table ${name.parts.join('.')}: no engine name after ENGINE`)
      const family = MERGE_TREE.exec(engine.value)
      if (family === null) {
        if (/MergeTree$/i.test(engine.value) && !/^(Replicated|Shared)/.test(engine.value))
          throw unsupported(`engine ${engine.value} (no Replicated form known here)`)
        // Engines that keep no rows of their own (Null, Distributed…) or are already replicated.
        return [applyEdits(statement, edits)]
      }
      let engineEnd = engine.end
      let args = ''
      const open = tokens[engineIndex + 1]
      if (open?.text === '(') {
        const close = tokens.slice(engineIndex + 2).find((token) => token.text === ')' && token.depth === open.depth)
        if (close === undefined) throw unsupported(`engine ${engine.value}: its arguments do not end`)
        args = statement.slice(open.end, close.start).trim()
        engineEnd = close.end
      }
      const table = name.parts[name.parts.length - 1]!
      const path = `/clickhouse/tables/{shard}/{database}/${table}/{uuid}`.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
      edits.push({
        start: engine.start,
        end: engineEnd,
        text: `Replicated${family[1]}MergeTree('${path}', '{replica}'${args === '' ? '' : `, ${args}`})`,
      })
      edits.push(...windowEdits(engineIndex))
      const companion = listed(name)
      return [applyEdits(statement, edits), ...(companion === undefined ? [] : [createCompanion(companion)])]
    }

    case 'ALTER': {
      if (!isWord(1, 'TABLE')) throw unsupported(`${describe(0, 2)} (only ALTER TABLE)`)
      const name = readName(2)
      refuseOnCluster(name.next)
      const edits: Edit[] = [{ start: name.end, end: name.end, text: onCluster }, ...windowEdits(name.next)]
      const companion = listed(name)
      const columns = tokens.some(
        (token, k) =>
          token.depth === 0 &&
          k >= name.next &&
          ['ADD', 'DROP', 'MODIFY', 'RENAME', 'CLEAR', 'COMMENT', 'MATERIALIZE'].some((verb) => isWord(k, verb, 'COLUMN')),
      )
      const after = companion !== undefined && columns ? [dropCompanion(companion), createCompanion(companion)] : []
      return [applyEdits(statement, edits), ...after]
    }

    case 'DROP': {
      if (isWord(1, 'TEMPORARY')) throw unsupported('DROP TEMPORARY TABLE (a temporary table lives in one session of one server)')
      const what = ['TABLE', 'VIEW', 'DICTIONARY', 'DATABASE'].find((word) => isWord(1, word))
      if (what === undefined) throw unsupported(`${describe(0, 2)} (only tables, views, dictionaries and databases)`)
      let i = 2
      if (isWord(i, 'IF', 'EXISTS') || isWord(i, 'IF', 'EMPTY')) i += 2
      const name = readName(i)
      if (tokens[name.next]?.text === ',') throw unsupported(`${describe(0, name.next + 1)}… (drop one name per statement)`)
      refuseOnCluster(name.next)
      const dropped = applyEdits(statement, [{ start: name.end, end: name.end, text: onCluster }])
      const companion = what === 'TABLE' ? listed(name) : undefined
      return companion === undefined ? [dropped] : [dropCompanion(companion), dropped]
    }

    case 'RENAME':
    case 'EXCHANGE': {
      const exchange = head === 'EXCHANGE'
      if (!isWord(1, exchange ? 'TABLES' : 'TABLE'))
        throw unsupported(`${describe(0, 2)} (only ${exchange ? 'EXCHANGE TABLES' : 'RENAME TABLE'})`)
      const names: Name[] = []
      let i = 2
      for (;;) {
        const from = readName(i)
        if (!isWord(from.next, exchange ? 'AND' : 'TO')) throw unsupported(`${describe(0, from.next + 1)}…`)
        const to = readName(from.next + 1)
        names.push(from, to)
        i = to.next
        if (exchange || tokens[i]?.text !== ',') break
        i++
      }
      refuseOnCluster(i)
      if (i !== tokens.length) throw unsupported(`${describe(0, i + 1)}… (nothing may follow the names)`)
      const rendered = applyEdits(statement, [{ start: tokens[i - 1]!.end, end: tokens[i - 1]!.end, text: onCluster }])
      // A companion reads its table by name: after an exchange it is made again for the table now
      // under that name; after a rename the old name's goes, the new name's is made.
      const after: string[] = []
      names.forEach((name, k) => {
        const companion = listed(name)
        if (companion === undefined) return
        if (exchange) after.push(dropCompanion(companion), createCompanion(companion))
        else if (k % 2 === 0) after.push(dropCompanion(companion))
        else after.push(createCompanion(companion))
      })
      return [rendered, ...after]
    }

    case 'INSERT':
      return [statement]

    default:
      throw unsupported(`${describe(0, 2) || 'an empty statement'} (only CREATE, ALTER TABLE, DROP, RENAME, EXCHANGE TABLES and INSERT)`)
  }
}
