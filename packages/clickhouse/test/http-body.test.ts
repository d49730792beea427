import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { defer } from '@trends/testing'
import { brotliCompressSync, createGzip, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib'
import { assertRefused, assertServes, basic, peakRssGrowth, query, rawConnection, serve, type Answer } from './http-helpers.ts'

const MiB = 1024 ** 2
const INSERT = `/?query=${encodeURIComponent('INSERT INTO nowhere FORMAT RawBLOB')}`

/**
 * A client that sends `total` bytes of zeros as fast as the server takes them, and stops when the
 * server answers or closes: `written` is how much it got to send.
 */
function streamZeros(
  server: { url: string; password: string },
  total: number,
  headers: Record<string, string>,
): Promise<{ answer: Answer | undefined; written: number }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(256 * 1024)
    let written = 0
    let answer: Answer | undefined
    let done = false
    const finish = () => {
      if (done) return
      done = true
      made.destroy()
      resolve({ answer, written })
    }
    const made = request(
      `${server.url}${INSERT}`,
      { method: 'POST', headers: { ...basic('default', server.password), ...headers } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (data: Buffer) => chunks.push(data))
        response.once('end', () => {
          answer = { status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString() }
          finish()
        })
      },
    )
    // The server closing mid-body: the answer it sent first may still be on its way.
    made.once('error', () => setTimeout(finish, 200))
    const pump = () => {
      while (!done && written < total) {
        written += chunk.length
        if (!made.write(chunk)) {
          made.once('drain', pump)
          return
        }
      }
      if (!done) made.end()
    }
    pump()
  })
}

/** 200 MiB of zeros, gzipped as a stream (about 200 KiB; never 200 MiB in this process). */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 })
  const out: Buffer[] = []
  gzip.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise((resolve) => gzip.once('end', resolve))
  const zeros = Buffer.alloc(MiB)
  for (let i = 0; i < 200; i++) if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve))
  gzip.end()
  await ended
  return Buffer.concat(out)
}

test('a 100 MiB Content-Length: 413 before the body is read (and before 100 Continue invites it); a client streaming it is cut off early', async (t) => {
  const server = await serve(t)
  const head = (extra: string) =>
    `POST ${INSERT} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: ${basic('default', server.password).authorization}\r\nContent-Length: ${100 * MiB}\r\n${extra}\r\n`
  for (const extra of ['', 'Expect: 100-continue\r\n']) {
    // Only the headers go out: the answer comes without waiting for a byte of the body, and the
    // server closes the connection rather than read what would follow.
    const raw = rawConnection(server.port)
    raw.socket.write(head(extra))
    const text = await raw.received
    assert.match(text, /^HTTP\/1\.1 413 /, text)
    assert.match(text, /\r\nx-clickhouse-exception-code: 229\r\n/i)
    assert.match(text, /\r\nconnection: close\r\n/i)
    assert.match(
      text,
      /Code: 229\. DB::Exception: The request body would be more than 64 MiB \(CLICKHOUSE_HTTP_MAX_BODY\)\. \(QUERY_IS_TOO_LARGE\)/,
    )
    assert.doesNotMatch(text, /100 Continue/)
    await assertServes(server)
  }
  const { result, growth } = await peakRssGrowth(() => streamZeros(server, 100 * MiB, { 'content-length': String(100 * MiB) }))
  assert.ok(result.answer !== undefined, 'the client got the answer')
  assertRefused(result.answer, 413, 229, 'QUERY_IS_TOO_LARGE')
  assert.ok(result.written < 16 * MiB, `the client sent ${(result.written / MiB).toFixed(1)} MiB of 100 before it was cut off`)
  assert.ok(growth < 48 * MiB, `memory grew ${(growth / MiB).toFixed(1)} MiB`)
  await assertServes(server)
})

test('a chunked body is counted as it streams and cut off at the cap with 413', async (t) => {
  const server = await serve(t, { limits: { maxBodyBytes: 4 * MiB } })
  const { result } = await streamZeros(server, 100 * MiB, {}).then((result) => ({ result }))
  assert.ok(result.answer !== undefined, 'the client got the answer')
  assertRefused(result.answer, 413, 229, 'QUERY_IS_TOO_LARGE')
  assert.match(result.answer.text, /The request body is more than 4 MiB/)
  assert.ok(result.written < 32 * MiB, `the client sent ${(result.written / MiB).toFixed(1)} MiB of 100 before it was cut off`)
  await assertServes(server)
})

test('a gzip bomb (200 MiB of zeros in about 200 KiB) is refused by its inflate ratio, memory never near its inflated size', async (t) => {
  const bomb = await gzipBomb()
  assert.ok(bomb.length < MiB, `${bomb.length} bytes compressed`)
  const server = await serve(t)
  const send = () => query(server, bomb, INSERT, { 'content-encoding': 'gzip' })
  const { result, growth } = await peakRssGrowth(send)
  assertRefused(result, 413, 229, 'QUERY_IS_TOO_LARGE')
  assert.match(result.text, /inflates to more than 100 times its compressed size \(CLICKHOUSE_HTTP_MAX_INFLATE_RATIO\)/)
  assert.ok(growth < 48 * MiB, `memory grew ${(growth / MiB).toFixed(1)} MiB while 200 MiB were offered`)
  await assertServes(server)
})

test('a body that inflates past the cap is refused even where the ratio would let it through', async (t) => {
  const bomb = await gzipBomb()
  const server = await serve(t, { limits: { maxBodyBytes: 8 * MiB, maxInflateRatio: 100_000 } })
  const refused = await query(server, bomb, INSERT, { 'content-encoding': 'gzip' })
  assertRefused(refused, 413, 229, 'QUERY_IS_TOO_LARGE')
  assert.match(refused.text, /The request body inflates to more than 8 MiB/)
  await assertServes(server)
})

test('gzip, deflate, br and zstd bodies are read; broken or unknown compression is refused in ClickHouse form', async (t) => {
  const server = await serve(t)
  const encoders: Array<[string, (data: Buffer) => Buffer]> = [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['zstd', zstdCompressSync],
  ]
  for (const [encoding, encode] of encoders) {
    const answer = await query(server, encode(Buffer.from(`SELECT '${encoding}', count() FROM numbers(1000)`)), '/', {
      'content-encoding': encoding,
    })
    assert.deepEqual([answer.status, answer.text], [200, `${encoding}\t1000\n`])
  }
  // Insert data compressed apart from its statement, as @clickhouse/client sends it with compression on.
  await query(server, 'CREATE TABLE IF NOT EXISTS gzipped (n UInt32) ENGINE = MergeTree ORDER BY n')
  defer(t, () => query(server, 'DROP TABLE IF EXISTS gzipped'))
  const rows = Array.from({ length: 5000 }, (_, n) => JSON.stringify({ n })).join('\n')
  const inserted = await query(server, gzipSync(rows), `/?query=${encodeURIComponent('INSERT INTO gzipped FORMAT JSONEachRow')}`, {
    'content-encoding': 'gzip',
  })
  assert.equal(inserted.status, 200, inserted.text)
  assert.equal((await query(server, 'SELECT count(), sum(n) FROM gzipped')).text, `5000\t${(4999 * 5000) / 2}\n`)

  assertRefused(await query(server, 'SELECT 1', '/', { 'content-encoding': 'gzip' }), 400, 271, 'CANNOT_DECOMPRESS')
  await assertServes(server)
  assertRefused(await query(server, 'SELECT 1', '/', { 'content-encoding': 'compress' }), 400, 89, 'UNKNOWN_COMPRESSION_METHOD')
  await assertServes(server)
})
