/** The Creative Center client the commands that ask the upstream use: the producer's own settings (CC_*), wrong ones a usage error. */
import { readEnv } from '@trends/core'
import { createCreativeCenterClient, readCreativeCenterSettings, type CreativeCenterClient } from '@trends/creative-center'
import { createLogger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { usage } from './errors.ts'

export function upstreamClient(service: string): CreativeCenterClient {
  const env = readEnv(process.env)
  const settings = readCreativeCenterSettings(env)
  try {
    env.done()
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error))
  }
  return createCreativeCenterClient({
    settings,
    logger: createLogger({ service, level: process.env['LOG_LEVEL'] ?? 'silent' }),
    metrics: createRegistry(service),
  })
}
