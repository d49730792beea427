import { parseArgs } from 'node:util'
import { CreativeCenterError, INDUSTRIES, INDUSTRY_LIST_PATH } from '@trends/creative-center'
import { CliError, usage } from '../errors.ts'
import { formatOf, render } from '../output.ts'
import { upstreamClient } from '../upstream.ts'

export const INDUSTRIES_HELP = `Usage: trends industries [--format table|json|csv]

Asks the Creative Center for its industry list (${INDUSTRY_LIST_PATH}), with the producer's own
client and CC_* settings, and prints each industry's id and name next to the name this release
knows it by: "new" for an id it does not know, the old name where the upstream renamed one. Ids
it knows that the upstream no longer lists are counted on the last line. Nothing is stored.
`

type IndustryRow = { id: string; name: string; known: string }

/** The upstream's industries beside the release's table (INDUSTRIES). Pure. */
export function industryRows(upstream: ReadonlyMap<string, string>): { rows: IndustryRow[]; summary: string } {
  const rows = [...upstream]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, name]): IndustryRow => {
      const known = INDUSTRIES[id]
      return { id, name, known: known === undefined ? 'new' : known === name ? 'same' : `was ${known}` }
    })
  const added = rows.filter((row) => row.known === 'new').length
  const renamed = rows.filter((row) => row.known.startsWith('was ')).length
  const gone = Object.keys(INDUSTRIES).filter((id) => !upstream.has(id)).length
  return { rows, summary: `${rows.length} industries upstream: ${added} new, ${renamed} renamed; ${gone} known here not listed upstream\n` }
}

export async function industries(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { format: { type: 'string', default: 'table' } },
    allowPositionals: true,
    strict: true,
  })
  if (positionals.length > 0) throw usage(`no arguments, only --format (got ${JSON.stringify(positionals[0])})`)
  const format = formatOf(values.format)
  const client = upstreamClient('trends-industries')
  try {
    const { rows, summary } = industryRows(await client.fetchIndustries())
    process.stdout.write(render(rows, format, process.stdout.isTTY === true))
    process.stderr.write(summary)
  } catch (error) {
    if (error instanceof CreativeCenterError) throw new CliError(`${error.message} (${error.code})`)
    throw error
  } finally {
    await client.close()
  }
}
