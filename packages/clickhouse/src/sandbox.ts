import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Session } from 'chdb'
import { OUTSIDE_SETTINGS, OUTSIDE_TABLE_SETTINGS, type StatementLimits } from './limits.ts'

/**
 * The engine's own access control, for the store served over HTTP. chDB runs clickhouse-local,
 * which by default lets every statement read and write any file the process can, fetch URLs and
 * connect to other servers. Given a users file through `--config-file`, the engine enforces grants
 * and setting constraints as a server does (checked on chDB 26.7): without the FILE, URL, REMOTE,
 * S3… source grants, `file()`, `url()`, `remote()`, `CREATE TABLE … ENGINE = File`, dictionaries
 * with external sources, SYSTEM and BACKUP answer ACCESS_DENIED; a SETTINGS clause that raises a
 * limit (max_execution_time, max_result_bytes, max_memory_usage: the server's StatementLimits) answers
 * SETTING_CONSTRAINT_VIOLATION. What grants cannot cover (INTO OUTFILE, FROM INFILE
 * and the scalar `file()`, which clickhouse-local runs itself) is the statement guard's part.
 */
/** What the served store may do: its own databases, tables and views, and nothing outside. */
const GRANTS = [
  'SHOW',
  'SELECT',
  'INSERT',
  'ALTER',
  'CREATE DATABASE',
  'CREATE TABLE',
  'CREATE VIEW',
  'CREATE TEMPORARY TABLE',
  'DROP DATABASE',
  'DROP TABLE',
  'DROP VIEW',
  'TRUNCATE',
  'OPTIMIZE',
  'CHECK',
]

function usersXml(limits: StatementLimits): string {
  const seconds = Math.max(1, Math.ceil(limits.maxExecutionTimeSeconds))
  const bytes = Math.max(1, Math.floor(limits.maxResultBytes))
  const memory = Math.max(1, Math.floor(limits.maxMemoryBytes))
  return `<clickhouse>
  <profiles>
    <default>
      <max_execution_time>${seconds}</max_execution_time>
      <timeout_overflow_mode>throw</timeout_overflow_mode>
      <max_result_bytes>${bytes}</max_result_bytes>
      <result_overflow_mode>throw</result_overflow_mode>
      <allow_introspection_functions>0</allow_introspection_functions>
      <max_memory_usage>${memory}</max_memory_usage>
      <constraints>
        <max_execution_time><min>1</min><max>${seconds}</max></max_execution_time>
        <timeout_overflow_mode><const/></timeout_overflow_mode>
        <max_result_bytes><min>1</min><max>${bytes}</max></max_result_bytes>
        <result_overflow_mode><const/></result_overflow_mode>
        <max_memory_usage><min>1</min><max>${memory}</max></max_memory_usage>
        <max_query_size><const/></max_query_size>
        <allow_introspection_functions><const/></allow_introspection_functions>
${[...OUTSIDE_SETTINGS, ...OUTSIDE_TABLE_SETTINGS.map((name) => `merge_tree_${name}`)].map((name) => `        <${name}><const/></${name}>`).join('\n')}
      </constraints>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <profile>default</profile>
      <quota>default</quota>
      <grants><query>GRANT ${GRANTS.join(', ')} ON *.*</query></grants>
    </default>
  </users>
  <quotas><default/></quotas>
</clickhouse>
`
}

function configXml(dir: string): string {
  const at = (name: string) => path.join(dir, name)
  return `<clickhouse>
  <user_directories><users_xml><path>${at('users.xml')}</path></users_xml></user_directories>
  <user_files_path>${at('user_files')}/</user_files_path>
  <user_scripts_path>${at('user_scripts')}/</user_scripts_path>
</clickhouse>
`
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 })
  chmodSync(file, 0o600)
}

/** Where the engine configuration of the store at `storePath` lives: beside it, private. */
export function sandboxDir(storePath: string): string {
  return `${path.resolve(storePath)}-engine`
}

export class SandboxNotActiveError extends Error {
  override name = 'SandboxNotActiveError'
}

/**
 * Opens the process's chDB engine on `storePath` with the access control above, and returns the
 * session the statement guard runs its parser queries on. It must be the process's first chDB
 * session: the engine takes its configuration from the first one and shares it with every later
 * connection to the folder. It checks that the grants took hold and throws otherwise, so a server
 * never starts open by mistake.
 */
export function openSandbox(storePath: string, limits: StatementLimits): Session {
  const dir = sandboxDir(storePath)
  mkdirSync(path.join(dir, 'user_files'), { recursive: true, mode: 0o700 })
  mkdirSync(path.join(dir, 'user_scripts'), { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  writePrivate(path.join(dir, 'users.xml'), usersXml(limits))
  writePrivate(path.join(dir, 'config.xml'), configXml(dir))
  mkdirSync(storePath, { recursive: true })
  const session = new Session(path.resolve(storePath), { connectionArgs: [`--config-file=${path.join(dir, 'config.xml')}`] })
  const grants = session.query('SHOW GRANTS', 'TSVRaw')
  if (/\b(FILE|URL|SOURCES|SYSTEM)\b/.test(grants) || !/\bSELECT\b/.test(grants)) {
    session.close()
    throw new SandboxNotActiveError(
      'the embedded engine did not take its access configuration (another chDB session opened the process first)',
    )
  }
  return session
}
