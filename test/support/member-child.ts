/**
 * A consumer in a process of its own for the membership test: joins `group` on `topic` with a long
 * session, keeps its member id in `file` (as a service keeps it in its instance slot), prints
 * `joined` and waits to be killed.
 */
import { memberFile } from '@trends/kafka'
import { useKafka } from '@trends/testing'

const [group, topic, file, session] = process.argv.slice(2) as [string, string, string, string]
const consumer = useKafka().consumer({ groupId: group, sessionTimeout: Number(session), heartbeatInterval: 1000 })
const memory = memberFile(file)
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  memory.remember(payload.memberId)
  process.stdout.write('joined\n')
})
await consumer.connect()
await consumer.subscribe({ topics: [topic], fromBeginning: true })
await consumer.run({ eachMessage: async () => undefined })
