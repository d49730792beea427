import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Consumer, Kafka } from 'kafkajs'

/** What the coordinator said to a LeaveGroup on behalf of a member. */
export type Eviction = 'left' | 'unknown'

interface CoordinatorBroker {
  leaveGroup(request: { groupId: string; memberId: string; groupInstanceId?: string | null }): Promise<unknown>
}
interface InternalCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  findGroupCoordinator(request: { groupId: string }): Promise<CoordinatorBroker>
}

/**
 * kafkajs keeps its cluster factory behind a symbol and offers no LeaveGroup for another member in
 * its admin client; this is the one place that reaches for it (kafkajs 2.2.4, its last release).
 * The cluster it makes has the client's brokers, TLS and SASL settings.
 */
function clusterOf(kafka: Kafka): InternalCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((symbol) => symbol.description === 'private:Kafka:createCluster')
  const create = key === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[key]
  if (typeof create !== 'function') throw new Error('this kafkajs has no cluster factory where 2.2.4 keeps it')
  return (create as (options: Record<string, unknown>) => InternalCluster)({})
}

/**
 * Asks the group coordinator to remove `memberId` from `groupId`, as if that member had left.
 *
 * A consumer that died without leaving (SIGKILL, a crash while the broker was away) stays a member
 * until its session times out, and a rebalance waits for it: measured on the fault suite's broker
 * restart, the normalizer and the sink stood idle 30 s (their session timeout) after the broker was
 * back. kafkajs has no static membership (`group.instance.id`), so a consumer that knows the id of
 * the member it replaces — its own previous incarnation — removes it instead of waiting it out.
 * Only ever called for a member known to be dead: the same process's consumer before kafkajs
 * restarted it, or the previous holder of this process's instance slot (see `MemberMemory`).
 */
export async function evictMember(kafka: Kafka, groupId: string, memberId: string): Promise<Eviction> {
  const cluster = clusterOf(kafka)
  await cluster.connect()
  try {
    const coordinator = await cluster.findGroupCoordinator({ groupId })
    await coordinator.leaveGroup({ groupId, memberId, groupInstanceId: null })
    return 'left'
  } catch (error) {
    const type = (error as { type?: unknown }).type
    if (type === 'UNKNOWN_MEMBER_ID' || type === 'GROUP_ID_NOT_FOUND') return 'unknown'
    throw error
  } finally {
    await cluster.disconnect().catch(() => undefined)
  }
}

/** The member id a consumer of one instance slot had last, kept across restarts of its process. */
export interface MemberMemory {
  /** The id the previous process of this slot had in the group, if it wrote one. */
  previous(): string | undefined
  remember(memberId: string): void
}

/**
 * A member id kept in `file`, an instance slot's own file (InstanceSlot.file): the slot is held by
 * one live process at a time, so the id read on start is that of a process that is gone.
 */
export function memberFile(file: string): MemberMemory {
  return {
    previous() {
      try {
        const id = readFileSync(file, 'utf8').trim()
        return id.length > 0 && id.length <= 256 ? id : undefined
      } catch {
        return undefined
      }
    },
    remember(memberId) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
      const temporary = `${file}.${process.pid}`
      writeFileSync(temporary, `${memberId}\n`, { mode: 0o600 })
      renameSync(temporary, file)
    },
  }
}

export interface MembershipOptions {
  kafka: Kafka
  groupId: string
  /** Where the member id is kept across restarts of the process (its instance slot). */
  memory?: MemberMemory
  /** The consumer's session timeout: past it the dead member is gone anyway, so eviction stops trying. */
  sessionTimeoutMs: number
  /** Told of each member removed (for a log line). */
  onEvicted?: (memberId: string, why: 'previous process' | 'crashed consumer') => void
}

/**
 * Removes the dead member a consumer replaces, so its (re)join is not held up by that member's
 * session: on start the previous process's member (from `memory`), and after a crash the member
 * the consumer had before kafkajs restarted it. Each removal is tried every 500ms while the broker
 * cannot be reached, for at most one session timeout.
 */
export function keepMembership(consumer: Consumer, options: MembershipOptions): { stop(): void } {
  let current: string | undefined
  let stopped = false
  const evict = (memberId: string, why: 'previous process' | 'crashed consumer') => {
    const deadline = Date.now() + options.sessionTimeoutMs
    void (async () => {
      while (!stopped && Date.now() < deadline) {
        try {
          if ((await evictMember(options.kafka, options.groupId, memberId)) === 'left') options.onEvicted?.(memberId, why)
          return
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
      }
    })()
  }
  const previous = options.memory?.previous()
  if (previous !== undefined) evict(previous, 'previous process')
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const { memberId } = payload
    if (memberId === current) return
    current = memberId
    try {
      options.memory?.remember(memberId)
    } catch {
      // Not kept: a restart after a crash waits out the session, as without it.
    }
  })
  consumer.on(consumer.events.CRASH, () => {
    // kafkajs tried to leave the group before this event; with the broker away that failed, and
    // the restarted consumer joins as a new member.
    if (current !== undefined) evict(current, 'crashed consumer')
    current = undefined
  })
  return {
    stop() {
      stopped = true
    },
  }
}
