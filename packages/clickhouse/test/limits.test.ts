import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, readEnv } from '@trends/core'
import {
  checkSettings,
  ClickHouseRefusal,
  DEFAULT_HTTP_LIMITS,
  enforcedSettings,
  PROTECTED_SETTINGS,
  readServeSettings,
  settingViolation,
} from '@trends/clickhouse'

const limits = { maxExecutionTimeSeconds: 60, maxResultBytes: 1000, maxMemoryBytes: 1_000_000 }

test('a protected setting may lower a limit, never lift it, and a fixed one may not change', () => {
  for (const [name, value] of [
    ['max_execution_time', '60'],
    ['max_execution_time', '1.5'],
    ['max_execution_time', 30],
    ['max_result_bytes', '1000'],
    ['max_result_bytes', "'10'"],
    ['max_result_rows', '5'],
    ['result_overflow_mode', 'throw'],
    ['timeout_overflow_mode', 'THROW'],
    ['allow_introspection_functions', false],
    ['max_parser_depth', '100'],
    ['max_threads', '64'],
    ['insert_deduplication_token', 'abc'],
  ] as const)
    assert.equal(settingViolation(name, value, limits), undefined, `${name}=${value}`)
  const violations: Array<[string, unknown, string]> = [
    ['readonly', '2', 'Setting readonly should not be changed'],
    ['profile', 'default', 'Setting profile should not be changed'],
    ['max_execution_time', '0', "Setting max_execution_time shouldn't be 0 (no limit); set a value between 1 and 60"],
    ['max_execution_time', '61', "Setting max_execution_time shouldn't be greater than 60"],
    ['max_execution_time', "'3600'", "Setting max_execution_time shouldn't be greater than 60"],
    ['max_result_bytes', '1G', 'Setting max_result_bytes should be a whole number between 1 and 1000'],
    ['max_result_bytes', '1e3', 'Setting max_result_bytes should be a whole number between 1 and 1000'],
    ['max_result_rows', '0', "Setting max_result_rows shouldn't be 0 (no limit); set a value above 0"],
    ['result_overflow_mode', 'break', 'Setting result_overflow_mode should be throw'],
    ['allow_introspection_functions', true, 'Setting allow_introspection_functions should be 0'],
    ['max_query_size', '262145', "Setting max_query_size shouldn't be greater than 262144"],
    ['max_memory_usage', '0', "Setting max_memory_usage shouldn't be 0 (no limit); set a value between 1 and 1000000"],
    ['max_memory_usage', '1000001', "Setting max_memory_usage shouldn't be greater than 1000000"],
  ]
  for (const [name, value, text] of violations) {
    const violation = settingViolation(name, value, limits)
    assert.ok(violation instanceof ClickHouseRefusal, `${name}=${String(value)}`)
    assert.equal(violation.message, `Code: 452. DB::Exception: ${text}. (SETTING_CONSTRAINT_VIOLATION)`)
    assert.deepEqual([violation.exception.code, violation.exception.name, violation.status], [452, 'SETTING_CONSTRAINT_VIOLATION', 400])
  }
  assert.throws(() => checkSettings({ max_threads: '2', readonly: '1' }, limits), /Setting readonly should not be changed/)
  assert.doesNotThrow(() => checkSettings({ max_threads: '2', max_execution_time: '10' }, limits))
  for (const [name, value] of Object.entries(enforcedSettings(limits)))
    assert.equal(settingViolation(name, value, limits), undefined, `the server's own ${name} passes its own check`)
  assert.ok(PROTECTED_SETTINGS.includes('readonly') && PROTECTED_SETTINGS.includes('max_result_bytes'))
})

test('a setting that names a file, URL or disk is refused as access, whatever its value', () => {
  for (const [name, value] of [
    ['format_template_row', '/etc/passwd'],
    ['format_template_resultset', ''],
    ['format_schema', 'schema:Message'],
    ['output_format_schema', '/tmp/anywhere.proto'],
    ['format_avro_schema_registry_url', 'http://127.0.0.1:8081'],
    ['url_base', 'http://127.0.0.1:9/'],
    ['into_outfile_create_parent_directories', '1'],
  ] as const) {
    const violation = settingViolation(name, value, limits)
    assert.ok(violation instanceof ClickHouseRefusal, name)
    assert.deepEqual([violation.exception.code, violation.exception.name, violation.status], [497, 'ACCESS_DENIED', 403], name)
    assert.equal(
      violation.message,
      `Code: 497. DB::Exception: Setting ${name} names a file, URL or disk: the served store reaches only its own tables. (ACCESS_DENIED)`,
    )
    assert.ok(PROTECTED_SETTINGS.includes(name), name)
  }
})

test('serve settings: the defaults with nothing set, every problem at once otherwise', () => {
  const defaults = readEnv({})
  const read = readServeSettings(defaults)
  defaults.done()
  assert.deepEqual(read.limits, DEFAULT_HTTP_LIMITS)
  assert.deepEqual([read.host, read.port, read.users, read.allowedOrigins, read.database], ['127.0.0.1', 8123, undefined, [], 'default'])
  // The numbers: 64 MiB bodies, 60 s statements; results up to 256 MiB; timeouts of seconds.
  const { maxBodyBytes, maxExecutionTimeSeconds, maxResultBytes, headersTimeoutMs, requestTimeoutMs } = DEFAULT_HTTP_LIMITS
  assert.deepEqual([maxBodyBytes, maxExecutionTimeSeconds, maxResultBytes], [64 * 1024 ** 2, 60, 256 * 1024 ** 2])
  assert.ok(headersTimeoutMs <= 10_000 && requestTimeoutMs <= 30_000)

  const set = readEnv({
    CLICKHOUSE_HTTP_MAX_BODY: '8MiB',
    CLICKHOUSE_HTTP_MAX_EXECUTION_TIME: '2m',
    CLICKHOUSE_HTTP_MAX_RESULT: '1GiB',
    CLICKHOUSE_HTTP_USERS: 'grafana:pw1,sink:pw2',
    CLICKHOUSE_HTTP_ALLOWED_ORIGINS: 'http://localhost:3000, https://notebook.example',
  })
  const given = readServeSettings(set)
  set.done()
  assert.deepEqual(
    [given.limits.maxBodyBytes, given.limits.maxExecutionTimeSeconds, given.limits.maxResultBytes],
    [8 * 1024 ** 2, 120, 1024 ** 3],
  )
  assert.deepEqual({ ...given.users }, { grafana: 'pw1', sink: 'pw2' })
  assert.deepEqual(given.allowedOrigins, ['http://localhost:3000', 'https://notebook.example'])

  const wrong = readEnv({
    CLICKHOUSE_HTTP_MAX_BODY: '64MB',
    CLICKHOUSE_HTTP_MAX_INFLATE_RATIO: '1',
    CLICKHOUSE_HTTP_MAX_EXECUTION_TIME: '60',
    CLICKHOUSE_HTTP_MAX_RESULT: 'lots',
    CLICKHOUSE_HTTP_MAX_MEMORY: '1MiB',
    CLICKHOUSE_HTTP_MAX_CONNECTIONS: '0',
    CLICKHOUSE_HTTP_HEADERS_TIMEOUT: '20s',
    CLICKHOUSE_HTTP_REQUEST_TIMEOUT: '10s',
    CLICKHOUSE_HTTP_KEEP_ALIVE_TIMEOUT: '500ms',
    CLICKHOUSE_HTTP_USERS: ':nobody',
    CLICKHOUSE_HTTP_ALLOWED_ORIGINS: 'http://localhost:3000/d/home,*',
  })
  readServeSettings(wrong)
  assert.throws(
    () => wrong.done(),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      const keys = error.problems.map((problem) => problem.split(':')[0])
      assert.deepEqual(keys, [
        'CLICKHOUSE_HTTP_MAX_BODY',
        'CLICKHOUSE_HTTP_MAX_INFLATE_RATIO',
        'CLICKHOUSE_HTTP_MAX_EXECUTION_TIME',
        'CLICKHOUSE_HTTP_MAX_RESULT',
        'CLICKHOUSE_HTTP_MAX_CONNECTIONS',
        'CLICKHOUSE_HTTP_KEEP_ALIVE_TIMEOUT',
        'CLICKHOUSE_HTTP_MAX_MEMORY',
        'CLICKHOUSE_HTTP_REQUEST_TIMEOUT',
        'CLICKHOUSE_HTTP_USERS',
        'CLICKHOUSE_HTTP_ALLOWED_ORIGINS',
        'CLICKHOUSE_HTTP_ALLOWED_ORIGINS',
      ])
      return true
    },
  )
})
