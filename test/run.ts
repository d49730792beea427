/**
 * The project's test command. `npm test` runs the unit tier, then the integration tier against the
 * real local stack, which this starts when it is not running and stops again only if it started it
 * (KEEP_STACK=1 leaves it running). `npm run test:unit` (`--unit`) runs the unit tier alone, with
 * no stack. The unit tier's guard runs on every run, so a test that needs Kafka or another process
 * cannot sit among the unit tests unnoticed (test/support/tiers.ts says which file is in which tier).
 *
 * Files given as arguments replace the default patterns, each run in the tier its folder puts it
 * in: `npm test -- services/cli/test/status.test.ts test/kafka/registry.test.ts`.
 */
import { INTEGRATION_FLAGS, INTEGRATION_PATTERNS, isUnitFile, UNIT_FLAGS, UNIT_PATTERNS } from './support/tiers.ts'
import { runNode, withStack } from './support/with-stack.ts'

const args = process.argv.slice(2)
const unitOnly = args[0] === '--unit'
const files = unitOnly ? args.slice(1) : args
if (unitOnly && files.some((file) => !isUnitFile(file))) {
  process.stderr.write('npm run test:unit takes files of packages/*/test and services/*/test only; run the others with npm test --\n')
  process.exit(2)
}
const unit = files.length > 0 ? files.filter(isUnitFile) : UNIT_PATTERNS
const integration = unitOnly ? [] : files.length > 0 ? files.filter((file) => !isUnitFile(file)) : INTEGRATION_PATTERNS

let code = 0
if (unit.length > 0) code = (await runNode([...UNIT_FLAGS, ...unit])).code
if (integration.length > 0) {
  const integrated = await withStack(async () => (await runNode([...INTEGRATION_FLAGS, ...integration])).code)
  if (code === 0) code = integrated
}
process.exit(code)
