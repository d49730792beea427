import { test } from 'node:test'
import assert from 'node:assert/strict'
import { trends } from '../support/cli.ts'

// What the trends command prints on a failure never shows a password that rode in a URL setting.

test('trends: a rejected URL setting is echoed without its credentials', async () => {
  const invalid = await trends(['query', 'SELECT 1'], { CLICKHOUSE_URL: 'ftp://default:S3CR3T@127.0.0.1:1' })
  assert.equal(invalid.code, 2)
  assert.match(invalid.stderr, /CLICKHOUSE_URL: set an http\(s\) URL \(got "ftp:\/\/\[redacted\]@127\.0\.0\.1:1"\)/)
  assert.doesNotMatch(invalid.stdout + invalid.stderr, /S3CR3T/)
})
