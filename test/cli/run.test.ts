import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defer } from '@trends/testing'
import { trends } from '../support/cli.ts'
import { readCommitted } from '../support/pipeline.ts'
import { stackClients } from '../support/raw-topics.ts'
import { queryFolder } from '../support/sink.ts'
import { runEnv, startRun, until } from '../support/run.ts'

/** ClickHouse's observations (from the run's folder, once it has exited) against the cleaned topic. */
async function storedAgainstTopic(env: Record<string, string>) {
  const { kafka, registry } = stackClients()
  const cleaned = await readCommitted(kafka, registry, `${env['TOPIC_PREFIX']}.trends.cleaned`)
  const [counts] = await queryFolder<{ rows: string; distinct: string }>(
    env['CLICKHOUSE_PATH']!,
    'default',
    'SELECT count() AS rows, uniqExact(natural_key, data_date) AS distinct FROM trend_observations',
  )
  return { cleaned: cleaned.length, rows: Number(counts?.rows), distinct: Number(counts?.distinct) }
}

test(
  'npm start (trends run --simulator): the whole pipeline, a status line, top trends from ClickHouse; SIGTERM stops it within 10 s',
  { timeout: 180_000 },
  async (t) => {
    const env = await runEnv(t, {
      charts: [
        { endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2 },
        { endpoint: 'sounds-legacy', countries: ['US'], periods: ['7'], filters: { rank_type: 'popular' }, maxPages: 1 },
      ],
    })
    const run = startRun(t, env)
    await until(
      'the top trends',
      run,
      () => /top hashtags · (US|GB) · 7 days/.test(run.output()) && /top sounds · US/.test(run.output()),
      120_000,
    )
    assert.match(run.output(), /tasks \d+\/\d+ · raw \d+ · cleaned \d+ .* in ClickHouse \d+ · dead letters 0/)

    // The served store asks for a password nobody set: made in the store's folder, mode 0600.
    const file = path.join(env['CLICKHOUSE_PATH']!, 'http-password')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const password = readFileSync(file, 'utf8').trim()
    const served = `http://127.0.0.1:${env['CLICKHOUSE_HTTP_PORT']}/`
    // What `curl --data-binary 'SELECT 1' http://127.0.0.1:8123/` sends: no credentials.
    const authorization = (secret: string) => ({ authorization: `Basic ${Buffer.from(`default:${secret}`).toString('base64')}` })
    for (const headers of [{}, authorization('wrong')]) {
      const refused = await fetch(served, { method: 'POST', body: 'SELECT 1', headers })
      assert.equal(refused.status, 401)
      assert.equal(refused.headers.get('x-clickhouse-exception-code'), '516')
      assert.match(await refused.text(), /^Code: 516\. DB::Exception: .*\(AUTHENTICATION_FAILED\)\n$/)
    }
    const answered = await fetch(served, { method: 'POST', body: 'SELECT 1', headers: authorization(password) })
    assert.deepEqual([answered.status, await answered.text()], [200, '1\n'])
    // The services got it in their environment: no command line on the machine shows it.
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let line = ''
      try {
        line = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      } catch {
        continue // a process that ended meanwhile
      }
      assert.ok(!line.includes(password), `process ${pid} shows the password on its command line`)
    }
    assert.ok(!run.output().includes(password), 'nor does trends run print it')

    // While it runs, the other commands work against its data (ClickHouse through the served store,
    // with the password they read from the store's folder).
    const against = {
      CLICKHOUSE_HTTP_PORT: env['CLICKHOUSE_HTTP_PORT']!,
      CLICKHOUSE_PATH: env['CLICKHOUSE_PATH']!,
      TOPIC_PREFIX: env['TOPIC_PREFIX']!,
    }
    const top = await trends(['top', '--kind', 'sound', '--country', 'US', '--period', '7', '--limit', '3', '--format', 'json'], against)
    assert.equal(top.code, 0, top.stderr)
    assert.equal((JSON.parse(top.stdout) as unknown[]).length, 3)
    const counted = await trends(
      ['query', 'SELECT kind, count() AS n FROM trend_observations GROUP BY kind ORDER BY kind', '--format', 'csv'],
      against,
    )
    assert.equal(counted.code, 0, counted.stderr)
    assert.match(counted.stdout, /^kind,n\nhashtag,\d+\nsound,\d+\n$/)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-run-report-'))
    defer(t, () => rmSync(dir, { recursive: true, force: true }))
    const report = await trends(['report', '--out', path.join(dir, 'report.html')], against)
    assert.equal(report.code, 0, report.stderr)
    assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /<section class="chart" data-kind="hashtag"/)
    const dlq = await trends(['dlq', 'list'], against)
    assert.equal(dlq.code, 0, dlq.stderr)
    assert.match(dlq.stderr, /^0 dead letters/)
    const stopAt = Date.now()
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0)
    assert.ok(Date.now() - stopAt < 10_000, `stopped in ${Date.now() - stopAt} ms`)
    const stored = await storedAgainstTopic(env)
    assert.ok(stored.cleaned >= 60, `${stored.cleaned} cleaned records`)
    assert.deepEqual({ rows: stored.rows, distinct: stored.distinct }, { rows: stored.cleaned, distinct: stored.cleaned })
  },
)

test(
  'SIGTERM during load loses nothing: a second run finishes the work, every record once in ClickHouse',
  { timeout: 300_000 },
  async (t) => {
    const env = await runEnv(t, { charts: [{ endpoint: 'creators-legacy', countries: ['US', 'GB', 'DE', 'FR', 'JP', 'BR'], maxPages: 6 }] })
    const first = startRun(t, env)
    // Stop while records flow: some raw records out, the tasks not all done.
    await until('records flowing', first, () => /raw [1-9]\d* /.test(first.output()), 120_000)
    first.child.kill('SIGTERM')
    assert.equal(await first.exited, 0)
    const lines = first
      .output()
      .split('\n')
      .filter((line) => line.includes('tasks '))
    const last = lines.at(-1) ?? ''
    t.diagnostic(`the first run's last status: ${last}`)
    assert.ok(!/tasks (\d+)\/\1 /.test(last) || !/behind 0/.test(last), `stopped mid-load: ${last}`)

    const second = startRun(t, env)
    const { kafka, registry } = stackClients()
    const expected = 6 * 6 * 50 // six countries, six pages of fifty creators
    const deadline = Date.now() + 180_000
    for (;;) {
      const cleaned = (await readCommitted(kafka, registry, `${env['TOPIC_PREFIX']}.trends.cleaned`)).length
      if (
        cleaned >= expected &&
        /behind 0/.test(
          second
            .output()
            .split('\n')
            .filter((l) => l.includes('tasks '))
            .at(-1) ?? '',
        )
      )
        break
      if (Date.now() > deadline) throw new Error(`cleaned ${cleaned} of ${expected}:\n${second.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    second.child.kill('SIGTERM')
    assert.equal(await second.exited, 0)
    const stored = await storedAgainstTopic(env)
    assert.equal(stored.cleaned, expected, 'every item fetched once into the cleaned topic')
    assert.equal(stored.rows, expected, 'and once into ClickHouse, none twice (no FINAL)')
    assert.equal(stored.distinct, expected)
  },
)

test('trends run with a password file others can read: one line naming the file and the fix, nothing started', async (t) => {
  const env = await runEnv(t, { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], maxPages: 1 }] })
  const file = path.join(env['CLICKHOUSE_PATH']!, 'http-password')
  mkdirSync(env['CLICKHOUSE_PATH']!, { recursive: true })
  writeFileSync(file, 'a-password-others-can-read\n')
  chmodSync(file, 0o644)
  const result = await trends(['run', '--simulator'], env)
  assert.equal(result.code, 1, result.stderr)
  assert.match(
    result.stderr,
    /^trends run: the embedded ClickHouse: .*http-password is readable by group or others \(mode 644\): chmod 600 it/,
  )
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
  assert.doesNotMatch(result.stdout, /running: producer/)
  assert.ok(!`${result.stdout}${result.stderr}`.includes('a-password-others-can-read'))
})

test(
  'npm start -- --simulator, its calendar moving on: after the second snapshot, trends signals lists the five changes the simulator made, each once',
  { timeout: 240_000 },
  async (t) => {
    const env: Record<string, string> = {
      ...(await runEnv(t, { charts: [{ endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], maxPages: 2 }] })),
      SIM_DAY_LENGTH: '20s',
      SIM_MOVES: 'scripted',
      POLL_CADENCE: '10s',
    }
    const run = startRun(t, env)
    await until('the first signals', run, () => /first signals: \d+ chart changes/.test(run.output()), 180_000)
    assert.match(run.output(), /simulator: a data day every 20s, scripted chart moves, charts polled every 10s/)
    const against = {
      CLICKHOUSE_HTTP_PORT: env['CLICKHOUSE_HTTP_PORT']!,
      CLICKHOUSE_PATH: env['CLICKHOUSE_PATH']!,
    }
    const listed = await trends(['signals', '--since', '30d', '--format', 'json'], against)
    assert.equal(listed.code, 0, listed.stderr)
    const events = JSON.parse(listed.stdout) as Array<Record<string, unknown>>
    const first = events.filter((event) => event['data_date'] === events[0]?.['data_date'])
    // The chart of the first two snapshots, as the simulator scripts a day: exactly these five.
    assert.deepEqual(
      first.map((event) => [event['type'], event['previous_rank'], event['rank'], event['measure'], event['value']]),
      [
        ['new_top', 2, 1, 'rank', 1],
        ['entered', null, 5, 'rank', 5],
        ['rank_jump', 15, 3, 'places', 12],
        ['breakout', null, 5, 'curve_velocity', 15],
        ['exited', 100, null, 'previous_rank', 100],
      ],
    )
    assert.equal(new Set(events.map((event) => event['event_id'])).size, events.length, 'no event twice')
    const table = await trends(['signals', '--since', '30d'], against)
    assert.match(table.stdout, /new_top\s+.+new number 1 \(was #2\)/)
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0, run.output())
    const [stored] = await queryFolder<{ rows: string; distinct: string }>(
      env['CLICKHOUSE_PATH']!,
      'default',
      'SELECT count() AS rows, uniqExact(event_id) AS distinct FROM trend_signals',
    )
    assert.ok(Number(stored?.rows) >= 5)
    assert.equal(stored?.rows, stored?.distinct, 'each event once in ClickHouse (no FINAL)')
  },
)

/** The pid of the run's child process whose command line runs `main`. */
function childRunning(parent: number, main: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== parent) continue
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(main)) return Number(entry)
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined
}

test(
  'a service of trends run that dies is started again, the status line says so, and the run goes on',
  { timeout: 240_000 },
  async (t) => {
    const env = await runEnv(t, {
      charts: [{ endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2 }],
    })
    const run = startRun(t, env)
    await until('the services running', run, () => /running: producer, normalizer, sink/.test(run.output()), 120_000)
    const normalizer = childRunning(run.child.pid!, 'services/normalizer/src/main.ts')
    assert.ok(normalizer !== undefined, 'the normalizer runs as a child of trends run')
    process.kill(normalizer, 'SIGKILL')
    await until('the restart', run, () => /normalizer restarted \(killed by SIGKILL\), 1 restart\b/.test(run.output()), 60_000)
    const again = childRunning(run.child.pid!, 'services/normalizer/src/main.ts')
    assert.ok(again !== undefined && again !== normalizer, 'a new normalizer process')
    await until('a status line naming the restart', run, () => /· restarts: normalizer 1\b/.test(run.output()), 30_000)
    // The restarted normalizer does its part: the first cycle reaches ClickHouse.
    await until('the top trends', run, () => /top hashtags · (US|GB) · 7 days/.test(run.output()), 150_000)
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0, run.output())
    const stored = await storedAgainstTopic(env)
    assert.ok(stored.cleaned > 0)
    assert.equal(stored.rows, stored.cleaned, 'every cleaned observation once in ClickHouse (no FINAL)')
    assert.equal(stored.distinct, stored.cleaned)
  },
)
