import { readTopic, type Kafka, type SchemaRegistry, type Topics } from '@trends/kafka'

/** What the fault suite counts at the end of every fault, topic against topic and topic against ClickHouse. */
export interface FaultCount {
  /** Distinct observations the raw topics hold (natural key; the simulator's clock stays in one day, so one data date each). */
  observations: number
  missing: number
  duplicated: number
  detail: {
    /** What the charts hold, fetched directly, and how much of it the raw topics lack. */
    source: { items: number; missingFromRaw: number }
    cleaned: { records: number; distinct: number; missingFromRaw: number }
    clickhouse: { rows: number; distinct: number }
    fetchLog: { topic: number; distinct: number; rows: number; rowsDistinct: number }
    deadLetters: { topic: number; withoutReason: number; rows: number }
  }
}

async function decodeAll(kafka: Kafka, registry: SchemaRegistry, topic: string): Promise<Array<Record<string, unknown>>> {
  const values: Array<Record<string, unknown>> = []
  await readTopic(
    kafka,
    topic,
    async ({ partition, message }) => {
      if (message.value === null) return
      const value = (await registry.decode(message.value)) as Record<string, unknown>
      values.push({ ...value, $partition: partition, $offset: message.offset })
    },
    { readCommitted: true, timeoutMs: 180_000 },
  )
  return values
}

/**
 * Counts every observation, fetch attempt and dead letter: every item the charts hold (`source`, the
 * natural keys fetched directly) in the raw topics, each distinct raw observation once in
 * the cleaned topic (read_committed) and once in ClickHouse (count() without FINAL), each fetch
 * attempt once in fetch_log, each dead letter in ClickHouse with a reason. `store` runs a query on
 * the run's ClickHouse (its folder from another process once the sink has exited, or over HTTP).
 */
export async function countFault(
  kafka: Kafka,
  registry: SchemaRegistry,
  topics: Topics,
  store: (sql: string) => Promise<Array<Record<string, string>>>,
  source: ReadonlySet<string>,
): Promise<FaultCount> {
  const raw = (
    await Promise.all(
      topics
        .allRaw()
        .map((topic) => decodeAll(kafka, registry, topic).then((v) => v.map((r): Record<string, unknown> => ({ ...r, $topic: topic })))),
    )
  ).flat()
  const letters = await decodeAll(kafka, registry, topics.deadLetters)
  const lettered = new Set(
    letters.map((l) => `${String(l['source_topic'])}/${String(l['source_partition'])}/${String(l['source_offset'])}`),
  )
  // A raw record dead-lettered by the normalizer owes no cleaned record (unless the same observation came again intact).
  const expected = new Set(
    raw
      .filter((r) => !lettered.has(`${String(r['$topic'])}/${String(r['$partition'])}/${String(r['$offset'])}`))
      .map((r) => String(r['natural_key'])),
  )
  const rawKeys = new Set(raw.map((r) => String(r['natural_key'])))
  const missingFromSource = [...source].filter((key) => !rawKeys.has(key)).length
  const cleaned = await decodeAll(kafka, registry, topics.cleaned)
  const cleanedKeys = new Set(cleaned.map((c) => `${String(c['natural_key'])}|${String(c['data_date'])}`))
  const cleanedNaturalKeys = new Set(cleaned.map((c) => String(c['natural_key'])))
  const missingFromCleaned = [...expected].filter((key) => !cleanedNaturalKeys.has(key)).length
  const missingFromRaw = [...cleanedNaturalKeys].filter((key) => !expected.has(key)).length

  const fetches = await decodeAll(kafka, registry, topics.fetchLog)
  const fetchIds = new Set(fetches.map((f) => `${String(f['fetch_id'])}#${String(f['attempt'])}`))

  const [stored] = await store(
    `SELECT (SELECT count() FROM trend_observations) AS rows,
            (SELECT uniqExact(natural_key, data_date) FROM trend_observations) AS distinct,
            (SELECT count() FROM fetch_log) AS fetch_rows,
            (SELECT uniqExact(fetch_id, attempt) FROM fetch_log) AS fetch_distinct,
            (SELECT count() FROM dead_letters) AS letters,
            (SELECT countIf(error_class = '') FROM dead_letters) AS letters_without_reason`,
  )
  const n = (key: string) => Number(stored?.[key] ?? Number.NaN)
  const detail: FaultCount['detail'] = {
    source: { items: source.size, missingFromRaw: missingFromSource },
    cleaned: { records: cleaned.length, distinct: cleanedKeys.size, missingFromRaw },
    clickhouse: { rows: n('rows'), distinct: n('distinct') },
    fetchLog: { topic: fetches.length, distinct: fetchIds.size, rows: n('fetch_rows'), rowsDistinct: n('fetch_distinct') },
    deadLetters: {
      topic: letters.length,
      withoutReason:
        letters.filter((l) => typeof l['error_class'] !== 'string' || l['error_class'] === '').length + n('letters_without_reason'),
      rows: n('letters'),
    },
  }
  const positive = (value: number) => Math.max(0, value)
  const missing =
    missingFromSource +
    missingFromCleaned +
    positive(cleanedKeys.size - detail.clickhouse.distinct) +
    positive(fetchIds.size - detail.fetchLog.rowsDistinct) +
    positive(letters.length - detail.deadLetters.rows)
  const duplicated =
    cleaned.length -
    cleanedKeys.size +
    // Two data dates for one natural key would mean the fixed clock moved: count it against the run.
    (cleanedKeys.size - cleanedNaturalKeys.size) +
    (detail.clickhouse.rows - detail.clickhouse.distinct) +
    positive(detail.clickhouse.distinct - cleanedKeys.size) +
    (detail.fetchLog.rows - detail.fetchLog.rowsDistinct) +
    positive(detail.deadLetters.rows - letters.length)
  return { observations: expected.size, missing, duplicated, detail }
}
