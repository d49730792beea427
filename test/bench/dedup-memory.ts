/**
 * Helper of normalizer.bench.ts: loads the normalizer with its clients, fills the dedup state with
 * N distinct keys shaped like the real ones (natural key + data date, three source partitions),
 * collects garbage and prints {"rssMb", "keys"}.
 */
import { DedupStore } from '@trends/normalizer'

const keys = Number(process.argv[2] ?? 1_000_000)
const store = new DedupStore({ ttlMs: 3 * 86_400_000, maxKeysPerShard: keys })
const day = Math.floor(Date.now() / 86_400_000)
for (let i = 0; i < keys; i++) {
  const id = (7_300_000_000_000_000_000n + BigInt(i) * 7919n).toString()
  store.remember(`tiktok.raw.hashtags:${i % 3}`, `hashtag:US:7:22000000000:all:${id}|${day}`, (i * 2_654_435_761) % 2 ** 52)
}
;(globalThis as { gc?: () => void }).gc?.()
process.stdout.write(JSON.stringify({ rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024), keys: store.size() }))
