import type { EndpointDef } from './endpoints.ts'

/** One chart to fetch: an endpoint and the values of its matrix axes and filters (period in days). */
export interface FetchTarget {
  endpoint: EndpointDef
  country?: string
  period?: string
  industry?: string
  filters?: Readonly<Record<string, string>>
}

/** Every way a target does not fit its endpoint, each naming the valid values. */
export function targetProblems(target: FetchTarget): string[] {
  const { endpoint } = target
  const problems: string[] = []
  const where = `endpoint ${endpoint.name}`
  if (endpoint.country === null) {
    if (target.country !== undefined) problems.push(`${where} has no country; remove country ${target.country}`)
  } else if (target.country !== undefined && !endpoint.country.values.includes(target.country)) {
    problems.push(`${where}: unknown country ${JSON.stringify(target.country)}; valid: ${endpoint.country.values.join(', ')}`)
  }
  if (endpoint.period === null) {
    if (target.period !== undefined) problems.push(`${where} has no period; remove period ${target.period}`)
  } else if (target.period === undefined) {
    problems.push(`${where}: a period is required; valid: ${Object.keys(endpoint.period.values).join(', ')}`)
  } else if (!(target.period in endpoint.period.values)) {
    problems.push(`${where}: unknown period ${JSON.stringify(target.period)}; valid: ${Object.keys(endpoint.period.values).join(', ')}`)
  }
  if (endpoint.industry === null && target.industry !== undefined) {
    problems.push(`${where} has no industry filter; remove industry ${target.industry}`)
  } else if (target.industry !== undefined && !/^\d{11}$/.test(target.industry)) {
    problems.push(`${where}: industry must be an 11-digit id such as 22000000000 (got ${JSON.stringify(target.industry)})`)
  }
  for (const [name, value] of Object.entries(target.filters ?? {})) {
    const filter = endpoint.filters[name]
    if (filter === undefined) {
      const known = Object.keys(endpoint.filters)
      problems.push(`${where}: unknown filter ${name}; valid: ${known.length === 0 ? '(none)' : known.join(', ')}`)
    } else if (filter.values !== undefined && !filter.values.includes(value)) {
      problems.push(`${where}: filter ${name} cannot be ${JSON.stringify(value)}; valid: ${filter.values.join(', ')}`)
    }
  }
  return problems
}

/** The upstream parameters for one page, defaults filled in; string values for a query, typed later for a JSON body. */
export function upstreamParams(
  target: FetchTarget,
  page: number,
  size: number,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const { endpoint } = target
  const params: Record<string, string> = {}
  for (const [name, filter] of Object.entries(endpoint.filters)) {
    const value = target.filters?.[name] ?? filter.default
    if (value !== undefined) params[name] = value
  }
  if (endpoint.country !== null && target.country !== undefined) params[endpoint.country.param] = target.country
  if (endpoint.period !== null && target.period !== undefined) {
    const value = endpoint.period.values[target.period]
    if (value !== undefined) params[endpoint.period.param] = value
  }
  if (endpoint.industry !== null && target.industry !== undefined) params[endpoint.industry.param] = target.industry
  params[endpoint.pageParam] = String(page)
  params[endpoint.sizeParam] = String(Math.min(size, endpoint.pageSizeCap))
  return { ...params, ...extra }
}

/**
 * The record key: family, the chart's axes and key filters, then the item id, e.g.
 * `hashtag:US:7:all:1658723914285062`. Axes the endpoint lacks are left out; unset ones read `all`.
 */
export function naturalKey(target: FetchTarget, id: string): string {
  const { endpoint } = target
  const parts: string[] = [endpoint.family]
  if (endpoint.country !== null) parts.push(target.country ?? 'all')
  if (endpoint.period !== null) parts.push(target.period ?? 'all')
  if (endpoint.industry !== null) parts.push(target.industry ?? 'all')
  for (const name of endpoint.keyFilters) parts.push(target.filters?.[name] ?? endpoint.filters[name]?.default ?? 'all')
  parts.push(id)
  return parts.join(':')
}

/**
 * The chart a target fetches: one upstream list, named by its endpoint (and so its generation), its
 * axes (`all` where unset or where the endpoint has none) and every filter it sends, set or by
 * default, as `name=value` in name order, e.g. `hashtags-legacy/US/7/all/sort_by=popular` or
 * `creators-legacy/US/all/all/sort_by=follower`. Each part is URI-encoded, so a `/` in a value
 * cannot run into the next part. A filter an endpoint gains later changes no chart's id unless it
 * is sent.
 */
export function chartId(target: FetchTarget): string {
  const { endpoint } = target
  const filters = Object.keys(endpoint.filters)
    .sort()
    .flatMap((name) => {
      const value = target.filters?.[name] ?? endpoint.filters[name]?.default
      return value === undefined ? [] : [`${encodeURIComponent(name)}=${encodeURIComponent(value)}`]
    })
  const axes = [target.country, target.period, target.industry].map((value) => (value === undefined ? 'all' : encodeURIComponent(value)))
  return [endpoint.name, ...axes, ...filters].join('/')
}

/** The chart of a fetched page, from its endpoint, its axes and the upstream parameters it was sent with. */
export function chartOfRequest(
  endpoint: EndpointDef,
  axes: { country: string | null; period: string | null; industry: string | null },
  params: Readonly<Record<string, string>>,
): string {
  const filters: Record<string, string> = {}
  for (const name of Object.keys(endpoint.filters)) {
    const value = params[name]
    if (value !== undefined) filters[name] = value
  }
  return chartId({
    endpoint,
    ...(axes.country === null ? {} : { country: axes.country }),
    ...(axes.period === null ? {} : { period: axes.period }),
    ...(axes.industry === null ? {} : { industry: axes.industry }),
    filters,
  })
}

/** The same target with a stable text form, for task ids and logs. */
export function describeTarget(target: FetchTarget): string {
  const filters = Object.entries(target.filters ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`)
  return [
    target.endpoint.name,
    `country=${target.country ?? ''}`,
    `period=${target.period ?? ''}`,
    `industry=${target.industry ?? ''}`,
    ...filters,
  ].join('|')
}
