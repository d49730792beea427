import { readEnv } from '@trends/core'
import { createCreativeCenterClient, readCreativeCenterSettings, TokenBucket, type CreativeCenterClient } from '@trends/creative-center'
import { createRegistry } from '@trends/metrics'
import { testLogger } from './context.ts'

/**
 * A Creative Center client built from these settings as a service builds it (read, validated,
 * unread names refused), with a generous budget so a test is never held by it. The caller closes it.
 */
export function creativeCenterClient(env: Record<string, string>): CreativeCenterClient {
  const read = readEnv(env)
  const settings = readCreativeCenterSettings(read)
  read.done()
  return createCreativeCenterClient({
    settings,
    logger: testLogger('creative-center'),
    metrics: createRegistry('test'),
    bucket: new TokenBucket(1000, 1000),
  })
}
