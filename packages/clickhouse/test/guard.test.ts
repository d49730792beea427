import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createEmbeddedConnection } from '../src/embedded.ts'
import { createStatementGuard } from '../src/guard.ts'
import { ClickHouseRefusal } from '../src/refusal.ts'
import { MIGRATIONS_DIR, statementsOf } from '../src/migrate.ts'
import { openSandbox, sandboxDir } from '../src/sandbox.ts'

// One engine per process: the sandbox is opened once for the whole file, as the server opens it.
const root = mkdtempSync(path.join(os.tmpdir(), 'trends-guard-'))
const store = path.join(root, 'store')
const session = openSandbox(store, { maxExecutionTimeSeconds: 5, maxResultBytes: 1_000_000, maxMemoryBytes: 256 * 1024 ** 2 })
const guard = await createStatementGuard(session)
const connection = createEmbeddedConnection(store, 'default')
// A file the pipeline's user can read, and a place a statement might try to write.
const secret = path.join(root, 'secret.txt')
writeFileSync(secret, 'not for SQL\n')
const outfile = path.join(root, 'out.txt')

test.after(async () => {
  await connection.close()
  session.close()
  rmSync(root, { recursive: true, force: true })
  rmSync(sandboxDir(store), { recursive: true, force: true })
})

async function run(sql: string): Promise<string> {
  const result = await connection.exec({
    query: sql,
    query_id: crypto.randomUUID(),
    clickhouse_settings: { default_format: 'TSV' },
  } as never)
  const chunks: Buffer[] = []
  for await (const chunk of (result as { stream: AsyncIterable<Buffer> }).stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}

async function refusal(sql: string): Promise<ClickHouseRefusal> {
  const error = await guard.check(sql).then(
    () => undefined,
    (caught: unknown) => caught,
  )
  assert.ok(error instanceof ClickHouseRefusal, `expected a refusal of ${JSON.stringify(sql)}, got ${String(error)}`)
  return error
}

const quoted = (text: string) => `'${text.replace(/'/g, "\\'")}'`

const OUTSIDE: ReadonlyArray<[string, string]> = [
  ['file()', `SELECT * FROM file(${quoted(secret)}, 'LineAsString')`],
  ['file() in a subquery', `SELECT * FROM (SELECT * FROM file(${quoted(secret)}, 'LineAsString'))`],
  ['file() as a plain function', `SELECT file(${quoted(secret)})`],
  ['FILE() in capitals', `SELECT FILE(${quoted(secret)})`],
  ['file() in a scalar subquery', `WITH (SELECT file(${quoted(secret)})) AS x SELECT x`],
  ['DESCRIBE file()', `DESC file(${quoted(secret)}, 'LineAsString')`],
  ['url()', "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')"],
  ['url() behind UNION', "SELECT 1 UNION ALL SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')"],
  ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv')"],
  ['hdfs()', "SELECT * FROM hdfs('hdfs://127.0.0.1:9/x', 'CSV', 'a String')"],
  ['remote()', "SELECT * FROM remote('127.0.0.1:9', system.one)"],
  ['remoteSecure()', "SELECT * FROM remoteSecure('127.0.0.1:9', system.one)"],
  ['mysql()', "SELECT * FROM mysql('127.0.0.1:9', 'db', 't', 'u', 'p')"],
  ['postgresql()', "SELECT * FROM postgresql('127.0.0.1:9', 'db', 't', 'u', 'p')"],
  ['executable()', "SELECT * FROM executable('x.sh', 'TSV', 'a String')"],
  // clickhouse-local reads input() from the process's standard input, not from the request: it would hold the store.
  ['input()', "INSERT INTO g_t SELECT a FROM input('a String') FORMAT TSV"],
  ['CREATE TABLE AS url()', "CREATE TABLE g_as_url AS url('http://127.0.0.1:9/', 'LineAsString')"],
  ['the File engine', "CREATE TABLE g_file (a String) ENGINE = File(CSV, 'x.csv')"],
  ['the URL engine', "CREATE TABLE g_url (a String) ENGINE = URL('http://127.0.0.1:9/', CSV)"],
  ['the Distributed engine', 'CREATE TABLE g_dist (a String) ENGINE = Distributed(c, default, t)'],
  [
    'a dictionary with a file source',
    `CREATE DICTIONARY g_dict (a UInt64) PRIMARY KEY a SOURCE(FILE(path ${quoted(secret)} format 'CSV')) LAYOUT(FLAT()) LIFETIME(0)`,
  ],
  ['dictGet', "SELECT dictGet('g_dict', 'a', toUInt64(1))"],
  ['INTO OUTFILE', `SELECT 1 INTO OUTFILE ${quoted(outfile)}`],
  ['INTO OUTFILE with compression', `SELECT 1 INTO OUTFILE ${quoted(outfile)} COMPRESSION 'gzip'`],
  ['INTO OUTFILE under EXPLAIN', `EXPLAIN AST SELECT 1 INTO OUTFILE ${quoted(outfile)}`],
  ['INSERT INTO FUNCTION', `INSERT INTO FUNCTION file(${quoted(outfile)}, 'CSV', 'a UInt8') SELECT 1`],
  ['FROM INFILE', `INSERT INTO g_t FROM INFILE ${quoted(secret)} FORMAT LineAsString`],
  ['BACKUP', "BACKUP TABLE g_t TO File('backup')"],
  ['RESTORE', "RESTORE TABLE g_t FROM File('backup')"],
  ['SYSTEM', 'SYSTEM FLUSH LOGS'],
  ['ATTACH from a path', "ATTACH TABLE g_attach FROM '/etc' (a String) ENGINE = Log"],
  ['SET', 'SET max_threads = 1'],
  ['USE', 'USE system'],
  ['CREATE FUNCTION', 'CREATE FUNCTION g_f AS x -> x'],
  ['GRANT', 'GRANT SELECT ON *.* TO default'],
  ['a name with a line break', 'SELECT 1 AS `a\nSelectWithUnionQuery`'],
]

for (const [what, sql] of OUTSIDE) {
  test(`refused with ACCESS_DENIED: ${what}`, async () => {
    const error = await refusal(sql)
    assert.deepEqual(error.exception, { code: 497, name: 'ACCESS_DENIED' })
    assert.match(error.message, /^Code: 497\. DB::Exception: .+\. \(ACCESS_DENIED\)$/)
    assert.equal(existsSync(outfile), false)
  })
}

test('more than one statement is refused as ClickHouse refuses it, before anything runs', async () => {
  for (const sql of [
    `SELECT 1; SELECT file(${quoted(secret)})`,
    `INSERT INTO g_t VALUES ('a'); SELECT 1 INTO OUTFILE ${quoted(outfile)}`,
    "INSERT INTO g_t FORMAT Values ('a');SELECT 2",
  ]) {
    const error = await refusal(sql)
    assert.equal(error.exception.name, 'SYNTAX_ERROR', sql)
    assert.match(error.message, /Multi-statements are not allowed/)
  }
  assert.equal(existsSync(outfile), false)
})

test('SQL longer than max_query_size is refused unless it is an insert with data', async () => {
  const long = `SELECT '${'x'.repeat(300_000)}'`
  const error = await refusal(long)
  assert.equal(error.exception.name, 'SYNTAX_ERROR')
  assert.match(error.message, /Max query size exceeded/)
  const insert = `INSERT INTO g_t FORMAT JSONEachRow\n${'{"a":"x"}\n'.repeat(40_000)}`
  assert.equal(await guard.check(insert), insert)
})

test('the engine itself refuses what grants cover, even for SQL that never met the guard', async () => {
  for (const sql of [
    `SELECT * FROM file(${quoted(secret)}, 'LineAsString')`,
    "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')",
    'SYSTEM FLUSH LOGS',
    "CREATE TABLE g_engine_file (a String) ENGINE = File(CSV, 'x.csv')",
  ]) {
    await assert.rejects(run(sql), { type: 'ACCESS_DENIED' }, sql)
  }
  // A statement may lower the engine's limits for itself, never raise them.
  await assert.rejects(run('SELECT 1 SETTINGS max_execution_time = 0'), { type: 'SETTING_CONSTRAINT_VIOLATION' })
  await assert.rejects(run('SELECT 1 SETTINGS max_result_bytes = 2000000'), { type: 'SETTING_CONSTRAINT_VIOLATION' })
  assert.equal((await run('SELECT 1 SETTINGS max_execution_time = 1')).trim(), '1')
  await assert.rejects(run('SELECT count() FROM numbers(100000000000)'), { type: 'TIMEOUT_EXCEEDED' })
  await assert.rejects(run('SELECT number FROM numbers(10000000)'), { type: 'TOO_MANY_ROWS_OR_BYTES' })
})

test('the engine configuration is private to the user who serves the store', () => {
  const dir = sandboxDir(store)
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  for (const name of ['config.xml', 'users.xml']) assert.equal(statSync(path.join(dir, name)).mode & 0o777, 0o600, name)
  assert.match(readFileSync(path.join(dir, 'users.xml'), 'utf8'), /<max_execution_time>5<\/max_execution_time>/)
})

test('the pipeline keeps working: every migration, inserts with data, queries with parameters and settings', async () => {
  const files = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.sql'))
  let statements = 0
  for (const name of files) {
    for (const sql of statementsOf(readFileSync(path.join(MIGRATIONS_DIR, name), 'utf8'))) {
      assert.equal(await guard.check(sql), sql, `${name}: ${sql.slice(0, 80)}`)
      await run(sql)
      statements++
    }
  }
  assert.ok(statements >= 15, `${statements} migration statements`)
  const allowed = [
    'CREATE TABLE IF NOT EXISTS g_t (a String) ENGINE = MergeTree ORDER BY a',
    'INSERT INTO g_t FORMAT JSONEachRow\n{"a":"json"}\n',
    "INSERT INTO g_t VALUES ('values'), ('semicolon last');",
    'INSERT INTO g_t FORMAT TSV\nsemi;colon\n',
    'INSERT INTO g_t SELECT toString(number) FROM numbers(3)',
    'SELECT a FROM g_t WHERE a = {v:String} SETTINGS max_threads = 1',
    'SELECT count() FROM system.tables FORMAT JSON',
    "SELECT 'INTO OUTFILE; SELECT 2' AS text",
    'SHOW TABLES',
    'DESCRIBE TABLE g_t',
    'EXISTS TABLE g_t',
    'OPTIMIZE TABLE g_t FINAL',
    'CREATE TABLE IF NOT EXISTS g_u (a String) ENGINE = MergeTree ORDER BY a',
    'EXCHANGE TABLES g_t AND g_u',
    'EXCHANGE TABLES g_t AND g_u',
    'ALTER TABLE g_u DELETE WHERE a = {v:String}',
    'DROP TABLE IF EXISTS g_u',
  ]
  for (const sql of allowed) assert.equal(await guard.check(sql, { v: 'json' }), sql, sql)
  for (const sql of allowed.filter((statement) => !statement.includes('{v:'))) await run(sql)
  assert.equal((await run('SELECT count() FROM g_t')).trim(), '7')
})

test('insert data is data: a statement after JSON rows is read as a bad row, not run', async () => {
  const sql = `INSERT INTO g_t FORMAT JSONEachRow\n{"a":"row"}\n;SELECT 1 INTO OUTFILE ${quoted(outfile)}`
  assert.equal(await guard.check(sql), sql)
  await assert.rejects(run(sql), (error: { type?: string }) => /^(CANNOT_PARSE|INCORRECT_DATA)/.test(error.type ?? ''))
  assert.equal(existsSync(outfile), false)
})
