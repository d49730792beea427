import { test } from 'node:test'
import assert from 'node:assert/strict'
import { legacySigningHeaders, userSign } from '../src/sign.ts'

test('user-sign matches a real browser capture (signed over the web-id)', () => {
  assert.equal(userSign('7455517281448216080', '1735873979'), '445f42e170cfe7f9')
})

test('signing headers: a fresh timestamp in seconds, signed over the anonymous id unless a web-id is sent', () => {
  const anonymous = legacySigningHeaders({ anonymousUserId: '3bd2b243-0000-4000-8000-000000000000' }, 1_735_873_979_123)
  assert.equal(anonymous['timestamp'], '1735873979')
  assert.equal(anonymous['user-sign'], userSign('3bd2b243-0000-4000-8000-000000000000', '1735873979'))
  assert.equal(anonymous['web-id'], undefined)
  const withWebId = legacySigningHeaders({ anonymousUserId: 'x', webId: '7455517281448216080' }, 1_735_873_979_000)
  assert.equal(withWebId['user-sign'], '445f42e170cfe7f9')
  assert.equal(withWebId['web-id'], '7455517281448216080')
  assert.match(anonymous['user-sign'] ?? '', /^[0-9a-f]{16}$/)
})
