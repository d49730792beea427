import type { Session } from 'chdb'
import { astOf, MalformedAstError, type AstNode } from './ast.ts'
import { ClickHouseRefusal } from './refusal.ts'

/**
 * Decides whether a statement sent to the served store may run, with ClickHouse's own parser (run
 * through chDB on a bound parameter, so the text under test is never executed) rather than
 * patterns over the SQL text. The engine's grants (sandbox.ts) already refuse table functions,
 * engines and dictionaries that reach outside, SYSTEM and BACKUP; the guard adds what grants do not
 * cover in clickhouse-local, where the client side of the engine runs in this process:
 *
 * - more than one statement (chDB runs a script; ClickHouse's HTTP interface takes one statement);
 * - SET and USE, which would change the engine session every client of this server shares;
 * - INTO OUTFILE and FROM INFILE, which clickhouse-local carries out itself with no grant check;
 * - functions that read files, models or dictionaries (the scalar `file()` among them), table
 *   functions other than the in-memory generators, and table engines other than the local ones;
 * - statement kinds a store of tables has no use for (ATTACH, GRANT, CREATE FUNCTION…);
 * - a disk described inline (`SETTINGS disk = disk(…)`), which the engine makes before it checks
 *   the setting's constraint;
 * - on a GET request, anything but a statement that reads.
 *
 * Where ClickHouse would refuse with ACCESS_DENIED, so does the guard.
 */

/** ClickHouse's max_query_size default: the part of a request that is SQL, not insert data. */
export const MAX_STATEMENT_BYTES = 262_144

const denied = (what: string) =>
  new ClickHouseRefusal(497, 'ACCESS_DENIED', `${what} is not allowed here: the served store reaches only its own tables`)

/** Statement kinds, by the parser's node name (or its prefix), that may run. */
const STATEMENT_KINDS = [
  'SelectWithUnionQuery',
  'SelectIntersectExceptQuery',
  'InsertQuery',
  'CreateQuery',
  'AlterQuery',
  'DropQuery',
  'TruncateQuery',
  'Rename',
  'OptimizeQuery',
  'DeleteQuery',
  'CheckQuery',
  'Explain',
  'Show',
  'Describe',
  'Exists',
]

/** Why a refused statement kind is refused, where the name alone would not say. */
const REFUSED_KINDS: Readonly<Record<string, string>> = {
  Set: 'SET (it would change the session every client shares; pass settings as URL parameters or in a SETTINGS clause)',
  UseQuery: 'USE (pass the `database` URL parameter)',
  'SYSTEM query': 'SYSTEM',
  BackupQuery: 'BACKUP and RESTORE',
  AttachQuery: 'ATTACH',
}

/** Table functions that only generate or reshape data in memory or read the store's own tables. */
const TABLE_FUNCTIONS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'values',
  'generaterandom',
  'generate_series',
  'generateseries',
  'primes',
  'null',
  'view',
  'viewifpermitted',
  'viewexplain',
  'merge',
  'format',
  'loop',
  'mergetreeindex',
  'mergetreeprojection',
])

/** Table engines that keep their data in the store (the MergeTree family, and the local ones). */
const LOCAL_ENGINE = /^(?:\w*MergeTree|Memory|Null|Log|TinyLog|StripeLog|Buffer|Set|Join|Merge|GenerateRandom)$/

/** Functions that read outside the store wherever they are called. */
const OUTSIDE_FUNCTIONS = /^(?:file|catboostevaluate|dictget\w*|dicthas|dictisin|naivebayesclassifier|filesystem\w*)$/

/** Nodes whose direct Literal child is an INTO OUTFILE target (or its COMPRESSION). */
const WITH_OUTPUT = /^(?:SelectWithUnionQuery|SelectIntersectExceptQuery|Explain|Show|Describe|Exists|CheckQuery)/

/** Statement kinds that only read, the ones a GET request may run (as ClickHouse runs GET read-only). */
const READ_KINDS = ['SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'Explain', 'Show', 'Describe', 'Exists', 'CheckQuery']

function checkTree(root: AstNode, outside: ReadonlySet<string>, readOnly: boolean): void {
  const kind = root.type
  const refused = REFUSED_KINDS[kind]
  if (refused !== undefined) throw denied(refused)
  if (!STATEMENT_KINDS.some((allowed) => kind.startsWith(allowed))) throw denied(`a statement of kind ${kind}`)
  if (readOnly && !READ_KINDS.some((allowed) => kind.startsWith(allowed)))
    throw new ClickHouseRefusal(164, 'READONLY', 'Cannot execute query in readonly mode: a GET request only reads (send this with POST)')
  const stack: Array<{ node: AstNode; parent: AstNode | undefined; index: number }> = [{ node: root, parent: undefined, index: 0 }]
  while (stack.length > 0) {
    const { node, parent, index } = stack.pop()!
    if (node.type === 'Dictionary definition') throw denied('a dictionary')
    if (node.type === 'Function') {
      const name = node.name.toLowerCase()
      if (parent?.type === 'TableExpression') {
        if (!TABLE_FUNCTIONS.has(name)) throw denied(`the table function ${node.name}`)
      } else if (parent?.type === 'Storage definition' && index === 0) {
        if (!LOCAL_ENGINE.test(node.name)) throw denied(`the table engine ${node.name}`)
      } else if (parent?.type === 'InsertQuery') {
        throw denied('INSERT INTO FUNCTION')
      } else if (OUTSIDE_FUNCTIONS.test(name) || (outside.has(name) && !TABLE_FUNCTIONS.has(name))) {
        throw denied(`the function ${node.name}`)
      }
    }
    if (node.type === 'Literal' && parent !== undefined) {
      if (WITH_OUTPUT.test(parent.type)) throw denied('INTO OUTFILE')
      if (parent.type === 'InsertQuery') throw denied('FROM INFILE')
      if (parent.type === 'CreateQuery') throw denied('CREATE … FROM a path')
    }
    node.children.forEach((child, i) => stack.push({ node: child, parent: node, index: i }))
  }
}

/** Canonical SQL tokens, read from formatQuery's output, where quotes are always escaped. */
function keywords(canonical: string): string[] {
  const words: string[] = []
  let i = 0
  while (i < canonical.length) {
    const c = canonical[i]!
    if (c === "'" || c === '`' || c === '"') {
      i++
      while (i < canonical.length && canonical[i] !== c) i += canonical[i] === '\\' ? 2 : 1
      i++
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = i
      while (i < canonical.length && /\w/.test(canonical[i]!)) i++
      words.push(canonical.slice(start, i).toUpperCase())
      continue
    }
    i++
  }
  return words
}

function hasSequence(words: readonly string[], first: string, second: string): boolean {
  return words.some((word, i) => word === first && words[i + 1] === second)
}

function refusalFrom(error: unknown): ClickHouseRefusal {
  const message = error instanceof Error ? error.message : String(error)
  const match = /Code: (\d+)\. DB::Exception: ([\s\S]*?)(?:: In scope [\s\S]*)?\. \((\w+)\)/.exec(message)
  if (match === null) return new ClickHouseRefusal(62, 'SYNTAX_ERROR', 'the statement could not be parsed')
  return new ClickHouseRefusal(Number(match[1]), match[3]!, match[2]!.replace(/^Query failed: /, '').replace(/\.$/, ''))
}

export interface StatementGuard {
  /**
   * Checks the text a request would run (the `query` parameter and the body, joined as ClickHouse's
   * HTTP interface joins them) with the request's query parameters, and returns the text unchanged when it may run; throws
   * ClickHouseRefusal (ClickHouse's code, name and message) when it may not. With `readOnly` (a GET
   * request) only statements that read may run.
   */
  check(text: string, params?: Readonly<Record<string, string>>, options?: { readOnly?: boolean }): Promise<string>
}

/** The guard, on the session openSandbox returned. */
export async function createStatementGuard(session: Session): Promise<StatementGuard> {
  // The guard's own connection reads only: should the parser ever be handed more than one
  // statement, nothing after the first could write.
  await session.queryAsync('SET readonly = 2')
  const text = async (sql: string, params: Record<string, string>) =>
    (await session.queryBindAsync(sql, params, { format: 'TSVRaw' })).text()
  // Every table function the engine knows that is not on the allowed list is also refused where it
  // could be called as a plain function (CREATE TABLE … AS url(…)).
  const outside = new Set(
    (await text('SELECT name FROM system.table_functions', {}))
      .split('\n')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '' && !TABLE_FUNCTIONS.has(name)),
  )
  // The request's own query parameters are bound too, so a statement that uses them parses.
  const format = async (sql: string, params: Readonly<Record<string, string>>): Promise<string> => {
    try {
      return (await text('SELECT formatQuery({guard_statement:String}) FORMAT TSVRaw', { ...params, guard_statement: sql })).replace(
        /\n$/,
        '',
      )
    } catch (error) {
      throw refusalFrom(error)
    }
  }
  const explain = async (canonical: string, params: Readonly<Record<string, string>>): Promise<AstNode> => {
    try {
      // The canonical text is formatQuery's own output: one statement, every quote escaped.
      return astOf((await text(`EXPLAIN AST ${canonical}`, params)).split('\n'))
    } catch (error) {
      if (error instanceof MalformedAstError) throw denied('a statement whose names hold line breaks')
      throw refusalFrom(error)
    }
  }

  return {
    async check(sql: string, params: Readonly<Record<string, string>> = {}, options: { readOnly?: boolean } = {}): Promise<string> {
      const statement = sql.length > MAX_STATEMENT_BYTES ? sql.slice(0, MAX_STATEMENT_BYTES) : sql
      let canonical: string
      try {
        canonical = await format(statement, params)
      } catch (error) {
        if (sql.length > MAX_STATEMENT_BYTES)
          throw new ClickHouseRefusal(62, 'SYNTAX_ERROR', `Max query size exceeded (${MAX_STATEMENT_BYTES} bytes of SQL)`)
        throw error
      }
      const words = keywords(canonical)
      if (hasSequence(words, 'INTO', 'OUTFILE')) throw denied('INTO OUTFILE')
      if (hasSequence(words, 'FROM', 'INFILE')) throw denied('FROM INFILE')
      // A disk described in the statement (SETTINGS disk = disk(type = …, path = …)): the engine
      // makes it, folders outside the store included, before its constraint on `disk` refuses the
      // statement; EXPLAIN AST does not show a SETTINGS clause's values, formatQuery's text does.
      if (hasSequence(words, 'DISK', 'DISK')) throw denied('a disk described in the statement (disk = disk(…))')
      checkTree(await explain(canonical, params), outside, options.readOnly === true)
      // An insert's inline data in the Values format is read by the SQL parser, which ends it at a
      // semicolon; chDB then runs what follows as further statements, unchecked. (Every other
      // format reads the data to its end.) So Values data may hold a semicolon only as its last
      // character; rows that contain one can come in any other format.
      if (/^INSERT INTO\b/.test(canonical) && /\bFORMAT Values$/.test(canonical)) {
        const semicolon = sql.indexOf(';')
        if (semicolon !== -1 && semicolon !== sql.trimEnd().length - 1)
          throw new ClickHouseRefusal(
            62,
            'SYNTAX_ERROR',
            'Multi-statements are not allowed: VALUES data may not hold a semicolon here (send such rows in a format such as JSONEachRow or TSV)',
          )
      }
      return sql
    },
  }
}
