import { parseArgs } from 'node:util'
import { CreativeCenterError, endpointNames, findEndpoint, targetProblems, type FetchTarget } from '@trends/creative-center'
import { CliError, usage } from '../errors.ts'
import { itemRows, pageSummary, snapshotLine } from '../items.ts'
import { formatOf, render } from '../output.ts'
import { upstreamClient } from '../upstream.ts'

export const FETCH_HELP = `Usage: trends fetch <endpoint> [--country US] [--period 7] [--industry ID] [--filter key=value]... [--page 1] [--format table|json|csv] [--raw]

Fetches one page of one Creative Center endpoint once, with the producer's own client (signing,
retries, rate limit from the CC_* settings), and prints what came back: the items (id, position,
name) or, with --raw, each item's JSON exactly as received. For debugging the upstream; nothing is
published.

Endpoints: ${endpointNames().join(', ')}
`

export async function fetchCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      country: { type: 'string' },
      period: { type: 'string' },
      industry: { type: 'string' },
      filter: { type: 'string', multiple: true },
      page: { type: 'string', default: '1' },
      format: { type: 'string', default: 'table' },
      raw: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  })
  const endpoint = findEndpoint(positionals[0] ?? '')
  if (endpoint === undefined) throw usage(`which endpoint? one of ${endpointNames().join(', ')}`)
  const filters: Record<string, string> = {}
  for (const entry of values.filter ?? []) {
    const [key, ...rest] = entry.split('=')
    if (key === undefined || key === '' || rest.length === 0) throw usage(`--filter: key=value (got ${JSON.stringify(entry)})`)
    filters[key] = rest.join('=')
  }
  const target: FetchTarget = {
    endpoint,
    ...(values.country === undefined ? {} : { country: values.country.toUpperCase() }),
    ...(values.period === undefined ? {} : { period: values.period }),
    ...(values.industry === undefined ? {} : { industry: values.industry }),
    ...(Object.keys(filters).length === 0 ? {} : { filters }),
  }
  const problems = targetProblems(target)
  if (problems.length > 0) throw usage(problems.join('; '))
  if (!/^\d+$/.test(values.page) || Number(values.page) < 1)
    throw usage(`--page: a page number from 1 (got ${JSON.stringify(values.page)})`)
  const format = formatOf(values.format)
  const client = upstreamClient('trends-fetch')
  try {
    const page = await client.fetchPage(target, Number(values.page))
    if (values.raw === true) {
      for (const item of page.items) process.stdout.write(`${item.raw}\n`)
    } else {
      process.stdout.write(render(itemRows(page.items), format, process.stdout.isTTY === true))
    }
    process.stderr.write(pageSummary(endpoint.name, page))
    process.stderr.write(snapshotLine(page, client.loggedIn ? undefined : endpoint.loggedOutCap))
  } catch (error) {
    if (error instanceof CreativeCenterError) throw new CliError(`${error.message} (${error.code})`)
    throw error
  } finally {
    await client.close()
  }
}
