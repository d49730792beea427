/**
 * `trends replay --verify`: what the shadow tables say differently from the live ones. Observations
 * are compared one by one — (chart, item, data date, fetch time), each side's newest version by its
 * replacing order — over what the replay reprocessed: with the normalizer stage, the records the raw
 * topics held when it began; with the sink stage, what was normalized before it began.
 */
import { identifier, type ClickHouseClient } from '@trends/clickhouse'
import type { ShadowState } from './shadow.ts'

/** The compared values, in this order (a tuple on both sides). */
const FIELDS = [
  'display_name',
  'normalized_name',
  'rank',
  'rank_is_position',
  'rank_change',
  'posts',
  'views',
  'likes',
  'followers',
  'curve',
  'attributes',
] as const

export interface Difference {
  kind: string
  chart_id: string
  data_date: string
  natural_key: string
  fetched_at: string
  live_version: number | null
  shadow_version: number | null
  /** Fields whose values differ: [field, live, shadow]. */
  fields: Array<[string, unknown, unknown]>
}

export interface VerifySummary {
  compared: { live: number; shadow: number }
  changed: number
  onlyLive: number
  onlyShadow: number
  /** Differences not explained by a newer normalizer version in the shadow. */
  unexplained: number
  /** Per kind, chart and day: live rows, shadow rows, rows that differ. */
  groups: Array<{ kind: string; chart_id: string; data_date: string; live: number; shadow: number; differ: number }>
  sample: Difference[]
  deadLetters: Array<{ stage: string; error_class: string; live: number; shadow: number }>
  lines: string[]
}

/** The rows a replay reprocessed, as a WHERE condition with its parameters. */
function scope(state: ShadowState): { where: string; params: Record<string, unknown> } {
  if (state.stage === 'sink') {
    return { where: "observed_at < fromUnixTimestamp64Milli({started:Int64}, 'UTC')", params: { started: state.startedAt } }
  }
  const terms: string[] = []
  const params: Record<string, unknown> = {}
  Object.entries(state.rawEnds).forEach(([key, end], i) => {
    const at = key.lastIndexOf(':')
    terms.push(`(source_topic = {t${i}:String} AND source_partition = {p${i}:Int32} AND source_offset < {e${i}:Int64})`)
    params[`t${i}`] = key.slice(0, at)
    params[`p${i}`] = Number(key.slice(at + 1))
    params[`e${i}`] = end
  })
  return { where: terms.length === 0 ? '0' : terms.join(' OR '), params }
}

export async function verifyShadow(
  client: ClickHouseClient,
  live: string,
  shadow: string,
  state: ShadowState,
  sampleSize = 10,
): Promise<VerifySummary> {
  const { where, params } = scope(state)
  const side = (n: number, database: string) => `
    SELECT ${n} AS side, kind, chart_id, toString(data_date) AS data_date, natural_key, toString(fetched_at) AS fetched_at,
           argMax(tuple(${FIELDS.join(', ')}), replace_order) AS v, argMax(normalizer_version, replace_order) AS version
    FROM ${identifier(database)}.trend_observations WHERE ${where}
    GROUP BY kind, chart_id, data_date, natural_key, fetched_at`
  const keyed = `SELECT kind, chart_id, data_date, natural_key, fetched_at,
           countIf(side = 0) AS in_live, countIf(side = 1) AS in_shadow,
           anyIf(v, side = 0) AS live_v, anyIf(v, side = 1) AS shadow_v,
           anyIf(version, side = 0) AS live_version, anyIf(version, side = 1) AS shadow_version
    FROM (${side(0, live)} UNION ALL ${side(1, shadow)})
    GROUP BY kind, chart_id, data_date, natural_key, fetched_at`
  const query = async <T>(sql: string) => (await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>()

  const groups = (
    await query<{ kind: string; chart_id: string; data_date: string; live: string; shadow: string; differ: string }>(
      `SELECT kind, chart_id, data_date, sum(in_live) AS live, sum(in_shadow) AS shadow,
              countIf(in_live = 0 OR in_shadow = 0 OR live_v != shadow_v) AS differ
       FROM (${keyed}) GROUP BY kind, chart_id, data_date ORDER BY kind, chart_id, data_date`,
    )
  ).map((g) => ({ ...g, live: Number(g.live), shadow: Number(g.shadow), differ: Number(g.differ) }))

  // The newest version on each side: a row only in one side is explained when the other side's
  // normalizer is newer than the version that made it.
  const [versions] = await query<{ live: number | null; shadow: number | null }>(
    `SELECT maxIf(live_version, in_live > 0) AS live, maxIf(shadow_version, in_shadow > 0) AS shadow FROM (${keyed})`,
  )
  const [totals] = await query<{
    live: string
    shadow: string
    changed: string
    only_live: string
    only_shadow: string
    unexplained: string
  }>(
    `SELECT sum(in_live) AS live, sum(in_shadow) AS shadow,
            countIf(in_live > 0 AND in_shadow > 0 AND live_v != shadow_v) AS changed,
            countIf(in_shadow = 0) AS only_live, countIf(in_live = 0) AS only_shadow,
            countIf((in_live > 0 AND in_shadow > 0 AND live_v != shadow_v AND shadow_version <= live_version)
                    OR (in_shadow = 0 AND live_version >= ${Number(versions?.shadow ?? 0)})
                    OR (in_live = 0 AND shadow_version <= ${Number(versions?.live ?? 0)})) AS unexplained
     FROM (${keyed})`,
  )
  const rows = await query<{
    kind: string
    chart_id: string
    data_date: string
    natural_key: string
    fetched_at: string
    in_live: string
    in_shadow: string
    live_v: unknown[]
    shadow_v: unknown[]
    live_version: number
    shadow_version: number
  }>(
    `SELECT * FROM (${keyed}) WHERE in_live = 0 OR in_shadow = 0 OR live_v != shadow_v ORDER BY kind, chart_id, data_date, natural_key LIMIT ${Math.max(1, sampleSize)}`,
  )
  const sample: Difference[] = rows.map((row) => {
    const inLive = Number(row.in_live) > 0
    const inShadow = Number(row.in_shadow) > 0
    const fields: Array<[string, unknown, unknown]> = []
    if (inLive && inShadow) {
      FIELDS.forEach((field, i) => {
        const a = row.live_v[i]
        const b = row.shadow_v[i]
        if (JSON.stringify(a) !== JSON.stringify(b)) fields.push([field, a, b])
      })
    }
    return {
      kind: row.kind,
      chart_id: row.chart_id,
      data_date: row.data_date,
      natural_key: row.natural_key,
      fetched_at: row.fetched_at,
      live_version: inLive ? row.live_version : null,
      shadow_version: inShadow ? row.shadow_version : null,
      fields,
    }
  })

  const letters = async (database: string) =>
    (
      await (
        await client.query({
          query: `SELECT stage, error_class, count() AS n FROM ${identifier(database)}.dead_letters GROUP BY stage, error_class`,
          format: 'JSONEachRow',
        })
      ).json<{ stage: string; error_class: string; n: string }>()
    ).map((row) => ({ key: `${row.stage}\u0000${row.error_class}`, stage: row.stage, error_class: row.error_class, n: Number(row.n) }))
  const deadByKey = new Map<string, { stage: string; error_class: string; live: number; shadow: number }>()
  for (const row of await letters(live)) deadByKey.set(row.key, { stage: row.stage, error_class: row.error_class, live: row.n, shadow: 0 })
  for (const row of await letters(shadow)) {
    const entry = deadByKey.get(row.key) ?? { stage: row.stage, error_class: row.error_class, live: 0, shadow: 0 }
    entry.shadow = row.n
    deadByKey.set(row.key, entry)
  }
  const deadLetters = [...deadByKey.values()].sort((a, b) => `${a.stage}${a.error_class}`.localeCompare(`${b.stage}${b.error_class}`))

  const summary: VerifySummary = {
    compared: { live: Number(totals?.live ?? 0), shadow: Number(totals?.shadow ?? 0) },
    changed: Number(totals?.changed ?? 0),
    onlyLive: Number(totals?.only_live ?? 0),
    onlyShadow: Number(totals?.only_shadow ?? 0),
    unexplained: Number(totals?.unexplained ?? 0),
    groups,
    sample,
    deadLetters,
    lines: [],
  }
  summary.lines = describe(summary, live, shadow, state)
  return summary
}

function describe(s: VerifySummary, live: string, shadow: string, state: ShadowState): string[] {
  const lines = [
    `replay ${state.id} (--stage ${state.stage} --from ${state.from}): ${live} against ${shadow}`,
    `observations compared: ${s.compared.live} live, ${s.compared.shadow} shadow`,
  ]
  const differing = s.groups.filter((g) => g.differ > 0 || g.live !== g.shadow)
  lines.push(
    differing.length === 0
      ? 'rows per kind, chart and day: the same'
      : 'rows per kind, chart and day that differ (live → shadow, rows that differ):',
  )
  for (const g of differing.slice(0, 50))
    lines.push(`  ${g.kind}  ${g.chart_id}  ${g.data_date}  ${g.live} → ${g.shadow}  ${g.differ} differ`)
  if (differing.length > 50) lines.push(`  … and ${differing.length - 50} more`)
  lines.push(`items only live: ${s.onlyLive}; only shadow: ${s.onlyShadow}; values that differ: ${s.changed}`)
  if (s.sample.length > 0) lines.push(`sample (${s.sample.length}):`)
  for (const d of s.sample) {
    const where = `  ${d.kind} ${d.natural_key} ${d.data_date} fetched ${d.fetched_at} (version live ${d.live_version ?? '-'}, shadow ${d.shadow_version ?? '-'})`
    if (d.live_version === null) lines.push(`${where}: only in the shadow`)
    else if (d.shadow_version === null) lines.push(`${where}: only live`)
    else lines.push(`${where}: ${d.fields.map(([f, a, b]) => `${f} ${JSON.stringify(a)} → ${JSON.stringify(b)}`).join('; ')}`)
  }
  lines.push('dead letters by stage and class (live → shadow):')
  for (const d of s.deadLetters) lines.push(`  ${d.stage} ${d.error_class}: ${d.live} → ${d.shadow}`)
  if (s.deadLetters.length === 0) lines.push('  none on either side')
  lines.push(
    s.unexplained === 0
      ? `verdict: every difference is where the shadow's normalizer version is newer (${s.changed + s.onlyLive + s.onlyShadow} differences)`
      : `verdict: ${s.unexplained} differences where the shadow's normalizer version is not newer — read them before a swap`,
  )
  return lines
}
