#!/usr/bin/env node
/**
 * Runs the Creative Center simulator until SIGINT/SIGTERM. The only file with side effects: reads the
 * environment, builds the logger, starts the server and stops it gracefully on a signal.
 */
import { isTrendsError } from '@trends/core'
import { createLogger } from '@trends/logger'
import { createSimulator } from './app.ts'
import { loadSimulatorConfig, SETTINGS_HELP } from './config.ts'

const HELP = `Usage: node services/simulator/src/main.ts [--help]

Serves a stand-in for https://ads.tiktok.com (TikTok Creative Center trends, legacy creative_radar_api
and TikTok One CreativeOne endpoints) from deterministic generated data, with a fault control API
under /__simulator/. See services/simulator/README.md.

${SETTINGS_HELP}`

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP)
    return 0
  }
  if (argv.length > 0) {
    process.stderr.write(`simulator: unknown argument ${JSON.stringify(argv[0])}; try --help\n`)
    return 2
  }
  const config = loadSimulatorConfig()
  const logger = createLogger({ service: 'simulator', level: config.logLevel })
  const simulator = createSimulator({ ...config, now: Date.now, logger })
  const { url } = await simulator.start()
  process.stdout.write(`simulator: listening on ${url}\n`)
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping')
      resolve()
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  await simulator.stop()
  return 0
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`simulator: ${isTrendsError(error) ? `${error.code}: ` : ''}${message}\n`)
  process.exitCode = 1
}
