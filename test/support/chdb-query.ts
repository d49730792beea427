/**
 * Runs one query against an embedded store and prints the rows as JSON: for tests that check the
 * data folder of a service process (chDB binds one folder per process, so the test's own process
 * cannot open it). Usage: node test/support/chdb-query.ts <path> <database> <sql>
 */
import { createClickHouse } from '@trends/clickhouse'

const [path, database, query] = process.argv.slice(2)
if (path === undefined || database === undefined || query === undefined) {
  process.stderr.write('usage: chdb-query.ts <path> <database> <sql>\n')
  process.exit(2)
}
const client = createClickHouse({ mode: 'embedded', path, database })
try {
  process.stdout.write(JSON.stringify(await (await client.query({ query, format: 'JSONEachRow' })).json()))
} finally {
  await client.close()
}
