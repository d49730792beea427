import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, readEnv, TrendsError } from '@trends/core'
import {
  DISTRIBUTED_TABLES,
  distributedName,
  swapStatement,
  shadowDatabaseStatement,
  migrate,
  MIGRATIONS_DIR,
  readClickHouseSettings,
  renderForCluster,
  statementsOf,
  type ClickHouseClient,
} from '@trends/clickhouse'
import { useEmbeddedClickHouse, useFreshDatabase, type Cleanup } from '@trends/testing'

const CLUSTER = 'trends'

/** Every statement of every migration file, in the order migrate applies them. */
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((name) => /^\d{3}_[\w-]+\.sql$/.test(name))
  .sort()
  .map((file) => ({ file, statements: statementsOf(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8')) }))
const STATEMENTS = MIGRATIONS.flatMap(({ file, statements }) => statements.map((statement) => ({ file, statement })))

/** ClickHouse's own parser, through chDB: the statement as formatQuery prints it, or its syntax error. */
async function parser(t: Cleanup) {
  const { client } = useEmbeddedClickHouse(t)
  return async (sql: string): Promise<string> => {
    const rows = await (
      await client.query({ query: 'SELECT formatQuery({sql:String}) AS formatted', query_params: { sql }, format: 'JSONEachRow' })
    ).json<{ formatted: string }>()
    return rows[0]?.formatted ?? ''
  }
}

/** The Distributed companions renderForCluster adds, by shape: dropped, or made over their table. */
const COMPANION_DROP = new RegExp(`^DROP TABLE IF EXISTS (\\w+)_all ON CLUSTER ${CLUSTER}$`)
const COMPANION_CREATE = new RegExp(
  `^CREATE TABLE IF NOT EXISTS (\\w+)_all ON CLUSTER ${CLUSTER} AS (\\w+) ENGINE = Distributed\\(${CLUSTER}, currentDatabase\\(\\), (\\w+)\\)$`,
)
const isCompanion = (sql: string) => COMPANION_DROP.test(sql) || COMPANION_CREATE.test(sql)

/** A rendered statement with what a cluster adds taken out again: ON CLUSTER, Replicated engines, the replicated window. */
function backToOneNode(sql: string): string {
  return sql
    .replaceAll(` ON CLUSTER ${CLUSTER}`, '')
    .replace(/\bReplicated(\w*MergeTree)\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\w+\/\{uuid\}', '\{replica\}'\)/g, '$1')
    .replace(/\bReplicated(\w*MergeTree)\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\w+\/\{uuid\}', '\{replica\}', /g, '$1(')
    .replace(/\breplicated_deduplication_window\b/g, 'non_replicated_deduplication_window')
}

const refusedAs = (code: string) => (error: unknown) => error instanceof TrendsError && error.code === code

test('one node (no cluster, or an empty name): every statement of every migration stays byte for byte as written', () => {
  assert.ok(STATEMENTS.length > 40, `${STATEMENTS.length} statements`)
  for (const { statement } of STATEMENTS) {
    assert.deepEqual(renderForCluster(statement, undefined), [statement])
    assert.deepEqual(renderForCluster(statement, ''), [statement])
  }
})

test("every statement of every migration, rendered for a cluster, parses with ClickHouse's parser, ON CLUSTER in place", async (t) => {
  const format = await parser(t)
  let rendered = 0
  for (const { file, statement } of STATEMENTS) {
    for (const sql of renderForCluster(statement, CLUSTER)) {
      rendered++
      let formatted: string
      try {
        formatted = await format(sql)
      } catch (error) {
        assert.fail(`${file}: ${(error as Error).message.split('\n')[0]}\n${sql}`)
      }
      // The parser took ON CLUSTER as the statement's clause: formatQuery prints it back.
      if (!/^INSERT\b/.test(sql)) assert.match(formatted, new RegExp(`\\bON CLUSTER ${CLUSTER}\\b`), `${file}: ${sql.slice(0, 80)}`)
      assert.doesNotMatch(formatted, /\bnon_replicated_deduplication_window\b/, `${file}: only the replicated window`)
    }
  }
  assert.ok(rendered > STATEMENTS.length, 'companions added')
})

test('cluster and one node differ only in ON CLUSTER, the Replicated engines, the replicated window and the added Distributed tables', () => {
  for (const { file, statement } of STATEMENTS) {
    const rendered = renderForCluster(statement, CLUSTER)
    const own = rendered.filter((sql) => !isCompanion(sql))
    assert.equal(own.length, 1, `${file}: one statement of its own, then companions: ${rendered.join('\n')}`)
    assert.equal(backToOneNode(own[0]!), statement, file)
    // Companions come after the statement, except a drop before the table it reads is dropped.
    assert.ok(rendered.indexOf(own[0]!) === 0 || /^DROP TABLE\b/.test(statement), file)
    for (const companion of rendered.filter(isCompanion)) {
      const made = COMPANION_CREATE.exec(companion)
      const table = made?.[1] ?? COMPANION_DROP.exec(companion)?.[1] ?? ''
      assert.ok(DISTRIBUTED_TABLES.includes(table), `${file}: companion of ${table}`)
      if (made !== null) assert.deepEqual([made[2], made[3]], [table, table], 'made as its table, over its table')
    }
  }
})

test('MergeTree engines become Replicated with a Keeper path of their own table; the deduplication window carries over', () => {
  const creates = STATEMENTS.filter(({ statement }) => /ENGINE = \w*MergeTree/.test(statement))
  assert.ok(creates.length >= 9)
  for (const { file, statement } of creates) {
    const [own] = renderForCluster(statement, CLUSTER)
    const table = /^CREATE TABLE (?:IF NOT EXISTS )?(\w+)/.exec(statement)?.[1] ?? ''
    const engine = /ENGINE = (\w+)/.exec(statement)?.[1] ?? ''
    assert.ok(
      own!.includes(`ENGINE = Replicated${engine}('/clickhouse/tables/{shard}/{database}/${table}/{uuid}', '{replica}'`),
      `${file}: ${table}`,
    )
    const window = /non_replicated_deduplication_window = (\d+)/.exec(statement)?.[1]
    if (window !== undefined) assert.match(own!, new RegExp(`SETTINGS replicated_deduplication_window = ${window}$`), file)
  }
  // Version and other engine arguments follow the path and the replica.
  const [observations] = renderForCluster(
    'CREATE TABLE t (v UInt64, k String) ENGINE=ReplacingMergeTree(v) ORDER BY k SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 100',
    CLUSTER,
  )
  assert.equal(
    observations,
    `CREATE TABLE t ON CLUSTER ${CLUSTER} (v UInt64, k String) ENGINE=ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/t/{uuid}', '{replica}', v) ORDER BY k SETTINGS index_granularity = 8192, replicated_deduplication_window = 100`,
  )
  assert.deepEqual(renderForCluster('ALTER TABLE trend_latest MODIFY SETTING non_replicated_deduplication_window = 500', CLUSTER), [
    `ALTER TABLE trend_latest ON CLUSTER ${CLUSTER} MODIFY SETTING replicated_deduplication_window = 500`,
  ])
})

test('a Distributed companion for each data table the pipeline reads or writes, made again when its columns change or it is swapped', async (t) => {
  // The list is every MergeTree table the migrations leave (applied on chDB, one node).
  const { client } = await useFreshDatabase(t, 'cluster')
  await migrate(client)
  const tables = await (
    await client.query({
      query: `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations' ORDER BY name`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>()
  assert.deepEqual(
    tables.map((row) => row.name),
    [...DISTRIBUTED_TABLES].sort(),
  )

  const companions = (file: string, index: number) => {
    const statement = MIGRATIONS.find((migration) => migration.file === file)?.statements[index] ?? ''
    return renderForCluster(statement, CLUSTER).slice(1)
  }
  const create = (table: string) =>
    `CREATE TABLE IF NOT EXISTS ${distributedName(table)} ON CLUSTER ${CLUSTER} AS ${table} ENGINE = Distributed(${CLUSTER}, currentDatabase(), ${table})`
  const drop = (table: string) => `DROP TABLE IF EXISTS ${distributedName(table)} ON CLUSTER ${CLUSTER}`
  assert.deepEqual(companions('001_trend_observations.sql', 0), [create('trend_observations')])
  assert.deepEqual(companions('006_sink.sql', 0), [], 'a setting changes no column')
  assert.deepEqual(companions('006_sink.sql', 3), [], 'the Null intake keeps no rows')
  assert.deepEqual(companions('007_sink_claims.sql', 1), [drop('sink_batches'), create('sink_batches')])
  assert.deepEqual(companions('013_drift.sql', 0), [drop('fetch_log'), create('fetch_log')])
  const n014 = MIGRATIONS.find((migration) => migration.file === '014_normalizer_version.sql')!.statements
  const at = (prefix: string) => n014.findIndex((statement) => statement.startsWith(prefix))
  assert.deepEqual(companions('014_normalizer_version.sql', at('CREATE TABLE trend_observations_014')), [], 'the copy is no data table')
  assert.deepEqual(companions('014_normalizer_version.sql', at('EXCHANGE TABLES')), [
    drop('trend_observations'),
    create('trend_observations'),
  ])
  assert.deepEqual(companions('014_normalizer_version.sql', at('DROP TABLE trend_observations_014')), [])

  // Over all migrations: every listed table has its companion, made after the table's last change.
  const made = new Set<string>()
  for (const { statement } of STATEMENTS)
    for (const sql of renderForCluster(statement, CLUSTER)) {
      const table = COMPANION_CREATE.exec(sql)?.[1] ?? COMPANION_DROP.exec(sql)?.[1]
      if (table !== undefined) {
        if (COMPANION_CREATE.test(sql)) made.add(table)
        else made.delete(table)
      }
    }
  assert.deepEqual([...made].sort(), [...DISTRIBUTED_TABLES].sort())
})

test('renames, drops and other shapes render where the grammar wants them, and parse', async (t) => {
  const format = await parser(t)
  const cases: Array<[string, string[]]> = [
    [
      'RENAME TABLE trend_signals TO signals_old, signals_new TO trend_signals',
      [
        `RENAME TABLE trend_signals TO signals_old, signals_new TO trend_signals ON CLUSTER ${CLUSTER}`,
        `DROP TABLE IF EXISTS trend_signals_all ON CLUSTER ${CLUSTER}`,
        `CREATE TABLE IF NOT EXISTS trend_signals_all ON CLUSTER ${CLUSTER} AS trend_signals ENGINE = Distributed(${CLUSTER}, currentDatabase(), trend_signals)`,
      ],
    ],
    [
      'DROP TABLE IF EXISTS fetch_log SYNC',
      [`DROP TABLE IF EXISTS fetch_log_all ON CLUSTER ${CLUSTER}`, `DROP TABLE IF EXISTS fetch_log ON CLUSTER ${CLUSTER} SYNC`],
    ],
    ['DROP VIEW chart_latest', [`DROP VIEW chart_latest ON CLUSTER ${CLUSTER}`]],
    ['DROP DATABASE IF EXISTS trends_old', [`DROP DATABASE IF EXISTS trends_old ON CLUSTER ${CLUSTER}`]],
    ['CREATE OR REPLACE VIEW v AS SELECT 1', [`CREATE OR REPLACE VIEW v ON CLUSTER ${CLUSTER} AS SELECT 1`]],
    [
      'CREATE TABLE IF NOT EXISTS db.`odd name` (x UInt8) ENGINE MergeTree() ORDER BY x -- one note',
      [
        `CREATE TABLE IF NOT EXISTS db.\`odd name\` ON CLUSTER ${CLUSTER} (x UInt8) ENGINE ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/odd name/{uuid}', '{replica}') ORDER BY x -- one note`,
      ],
    ],
    [
      "CREATE TABLE g (p String, t DateTime, v Float64, ts UInt32) ENGINE = GraphiteMergeTree('graphite_rollup') ORDER BY p",
      [
        `CREATE TABLE g ON CLUSTER ${CLUSTER} (p String, t DateTime, v Float64, ts UInt32) ENGINE = ReplicatedGraphiteMergeTree('/clickhouse/tables/{shard}/{database}/g/{uuid}', '{replica}', 'graphite_rollup') ORDER BY p`,
      ],
    ],
    [
      'CREATE TABLE s ENGINE = SummingMergeTree((a, b)) ORDER BY k AS SELECT 1 AS k, 2 AS a, 3 AS b',
      [
        `CREATE TABLE s ON CLUSTER ${CLUSTER} ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/s/{uuid}', '{replica}', (a, b)) ORDER BY k AS SELECT 1 AS k, 2 AS a, 3 AS b`,
      ],
    ],
    ['CREATE TABLE m (x UInt8) ENGINE = Memory', [`CREATE TABLE m ON CLUSTER ${CLUSTER} (x UInt8) ENGINE = Memory`]],
    ['INSERT INTO t SELECT * FROM u', ['INSERT INTO t SELECT * FROM u']],
  ]
  for (const [statement, expected] of cases) {
    assert.deepEqual(renderForCluster(statement, CLUSTER), expected, statement)
    for (const sql of expected) await format(sql)
  }
})

test('a statement it cannot render gets CLUSTER_UNSUPPORTED_STATEMENT; a bad cluster name CONFIG_INVALID', async (t) => {
  const format = await parser(t)
  const refused = [
    'SELECT 1',
    'OPTIMIZE TABLE trend_observations FINAL',
    'TRUNCATE TABLE fetch_log',
    'SYSTEM SYNC REPLICA fetch_log',
    'CREATE TEMPORARY TABLE t (x UInt8)',
    'CREATE DATABASE trends',
    "CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(CLICKHOUSE(TABLE 'x')) LAYOUT(FLAT()) LIFETIME(0)",
    'CREATE MATERIALIZED VIEW mv ENGINE = MergeTree ORDER BY x AS SELECT 1 AS x',
    'CREATE MATERIALIZED VIEW mv REFRESH EVERY 1 HOUR TO t AS SELECT 1 AS x',
    'CREATE TABLE t2 AS trend_observations',
    'CREATE TABLE t (x UInt8) ORDER BY x',
    `CREATE TABLE t ON CLUSTER ${CLUSTER} (x UInt8) ENGINE = MergeTree ORDER BY x`,
    'ALTER USER u DEFAULT ROLE r',
    'DROP TABLE a, b',
    'DROP TEMPORARY TABLE t',
    'EXCHANGE DICTIONARIES a AND b',
  ]
  for (const statement of refused) {
    await format(statement) // it is ClickHouse SQL: what is refused is the cluster rendering
    assert.throws(() => renderForCluster(statement, CLUSTER), refusedAs('CLUSTER_UNSUPPORTED_STATEMENT'), statement)
    assert.deepEqual(renderForCluster(statement, undefined), [statement], 'one node takes it as it is')
  }
  for (const name of ['9lives', 'a-b', "x' OR 1"])
    assert.throws(() => renderForCluster('DROP TABLE t', name), refusedAs('CONFIG_INVALID'), name)
})

/** A client that records what migrate sends, for a cluster no test here can run. */
function recordingClient(applied: string[] = []) {
  const commands: string[] = []
  const inserted: unknown[] = []
  const client = {
    command: async ({ query }: { query: string }) => {
      commands.push(query)
      return {}
    },
    query: async () => ({ json: async () => applied.map((name) => ({ name, checksum: '' })) }),
    insert: async ({ values }: { values: unknown[] }) => {
      inserted.push(...values)
      return {}
    },
  } as unknown as ClickHouseClient
  return { client, commands, inserted }
}

test('migrate with a cluster runs every statement rendered for it, schema_migrations replicated too', async () => {
  const { client, commands, inserted } = recordingClient()
  const result = await migrate(client, MIGRATIONS_DIR, { cluster: CLUSTER })
  assert.equal(result.applied.length, MIGRATIONS.length)
  assert.equal(inserted.length, MIGRATIONS.length)
  assert.match(commands[0]!, new RegExp(`^CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER ${CLUSTER} \\(`))
  assert.match(
    commands[0]!,
    /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/schema_migrations\/\{uuid\}', '\{replica\}'\)/,
  )
  assert.deepEqual(
    commands.slice(1),
    STATEMENTS.flatMap(({ statement }) => renderForCluster(statement, CLUSTER)),
  )

  // Without a cluster: the statements as written.
  const single = recordingClient()
  await migrate(single.client, MIGRATIONS_DIR, { cluster: undefined })
  assert.deepEqual(
    single.commands.slice(1),
    STATEMENTS.map(({ statement }) => statement),
  )
  assert.match(single.commands[0]!, /ENGINE = MergeTree ORDER BY name$/)
})

test('a migration with a statement a cluster cannot take is refused before any of its statements runs', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-cluster-migrations-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(path.join(dir, '001_ok.sql'), 'CREATE TABLE a (x UInt8) ENGINE = MergeTree ORDER BY x;\n')
  writeFileSync(path.join(dir, '002_refused.sql'), 'CREATE TABLE b (x UInt8) ENGINE = MergeTree ORDER BY x;\nOPTIMIZE TABLE a FINAL;\n')
  const { client, commands } = recordingClient()
  await assert.rejects(
    migrate(client, dir, { cluster: CLUSTER }),
    (error: unknown) => refusedAs('CLUSTER_UNSUPPORTED_STATEMENT')(error) && /002_refused\.sql/.test((error as Error).message),
  )
  assert.equal(commands.length, 2, 'schema_migrations and 001 only')
  assert.match(commands[1]!, /^CREATE TABLE a ON CLUSTER/)
})

test('CLICKHOUSE_CLUSTER: read for a server, reported with the other problems when bad or without CLICKHOUSE_URL', () => {
  const server = { CLICKHOUSE_URL: 'http://127.0.0.1:8123' }
  const read = (env: Record<string, string>) => {
    const reader = readEnv(env)
    const settings = readClickHouseSettings(reader)
    reader.done()
    return settings
  }
  assert.deepEqual(read({ ...server, CLICKHOUSE_CLUSTER: 'trends_1' }), {
    mode: 'server',
    url: 'http://127.0.0.1:8123',
    username: 'default',
    password: '',
    database: 'default',
    cluster: 'trends_1',
  })
  assert.equal('cluster' in read({ ...server, CLICKHOUSE_CLUSTER: '' }), false, 'empty: one node')
  assert.equal('cluster' in read(server), false, 'unset: one node')
  for (const [env, problem] of [
    [{ ...server, CLICKHOUSE_CLUSTER: 'my-cluster', CLICKHOUSE_URL: 'ftp://x' }, /CLICKHOUSE_CLUSTER: a cluster name/],
    [{ CLICKHOUSE_CLUSTER: 'trends', CLICKHOUSE_PATH: '/tmp/x' }, /CLICKHOUSE_CLUSTER: set CLICKHOUSE_URL too/],
  ] as const) {
    assert.throws(
      () => read(env),
      (error: unknown) => error instanceof ConfigError && error.problems.some((text) => problem.test(text)),
    )
  }
  // Reported together with another problem, not instead of it.
  assert.throws(
    () => read({ CLICKHOUSE_URL: 'ftp://x', CLICKHOUSE_CLUSTER: '1x' }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
  )
})

test("a shadow replay's statements on a cluster parse with ClickHouse's parser, ON CLUSTER in place", async (t) => {
  const parse = await parser(t)
  const statements = [
    swapStatement('exchange', 'default', 'default_shadow', 'trend_observations', CLUSTER),
    swapStatement('rename', 'default', 'default_shadow', 'trend_observations', CLUSTER),
    shadowDatabaseStatement('create', 'default_shadow', CLUSTER),
    shadowDatabaseStatement('drop', 'default_shadow', CLUSTER),
  ]
  for (const sql of statements) assert.match(await parse(sql), new RegExp(`\\bON CLUSTER ${CLUSTER}\\b`), sql)
  // On one node, the same statements without the clause.
  assert.equal(
    swapStatement('exchange', 'default', 'default_shadow', 'trend_observations'),
    'EXCHANGE TABLES `default`.`trend_observations` AND `default_shadow`.`trend_observations`',
  )
  assert.equal(
    swapStatement('rename', 'default', 'default_shadow', 'trend_observations'),
    'RENAME TABLE `default`.`trend_observations` TO `default`.`trend_observations__swapping`, ' +
      '`default_shadow`.`trend_observations` TO `default`.`trend_observations`, ' +
      '`default`.`trend_observations__swapping` TO `default_shadow`.`trend_observations`',
  )
  assert.equal(shadowDatabaseStatement('drop', 'default_shadow'), 'DROP DATABASE IF EXISTS `default_shadow` SYNC')
})
