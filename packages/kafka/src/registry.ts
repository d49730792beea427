import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry'
import { TrendsError } from '@trends/core'
import type { RegistrySettings } from './config.ts'

export { SchemaRegistry, SchemaType, COMPATIBILITY }

/**
 * A registry client whose every request fails after `requestTimeoutMs` without an answer. The
 * client has no timeout of its own: a registry that accepts a connection and never answers would
 * hold a start-up, or a batch's decoding, for as long as it kept the connection open. Registering
 * (below) tries a timed-out request again like a refused one; a batch whose decoding timed out
 * fails and is read again.
 */
export function createSchemaRegistry(settings: RegistrySettings): SchemaRegistry {
  const auth =
    settings.username !== undefined && settings.password !== undefined
      ? { username: settings.username, password: settings.password }
      : undefined
  const timeout = settings.requestTimeoutMs
  return new SchemaRegistry({
    host: settings.url,
    ...(auth === undefined ? {} : { auth }),
    middlewares: [() => ({ prepareRequest: async (next) => (await next()).enhance({ timeout }) })],
  })
}

const CONFIG_MISMATCH = /Compatibility does not match the configuration/
/** Apicurio's answer to the second of two clients setting a new subject's compatibility at once. */
const RULE_RACE = /A rule named 'COMPATIBILITY' already exists/
/** The client reports a registry it cannot reach as `status 400: connect ECONNREFUSED …`; a 5xx is the registry itself failing. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EAI_AGAIN|socket hang up|Timeout \(\d+ms\)|status 5\d\d/
/** How long registering waits out an unreachable registry (with backoff up to 5 s) before it fails. */
const UNAVAILABLE_WAIT_MS = 120_000

/**
 * Registers an Avro schema under `subject` with BACKWARD compatibility; returns its registry id.
 *
 * Two services starting together can race on a new subject: the client reads the subject's
 * compatibility, finds none, registers, then sets BACKWARD; a second client reading in between
 * sees the registry's provisional level and refuses, or both set it and the registry refuses the
 * second (Apicurio: "A rule named 'COMPATIBILITY' already exists"). Either is retried briefly (the
 * next attempt finds the subject configured); a mismatch that persists means the subject was
 * configured differently on purpose, and is reported as such. An unreachable registry is waited
 * for up to two minutes.
 */
export async function registerAvroSchema(registry: SchemaRegistry, subject: string, schema: object): Promise<number> {
  const began = Date.now()
  let waits = 0
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      )
      return id
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (CONFIG_MISMATCH.test(message) || RULE_RACE.test(message)) {
        if (attempt < 10) {
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
          continue
        }
        throw new TrendsError('SCHEMA_SUBJECT_CONFIG', `subject ${subject} is not configured for BACKWARD compatibility (${message})`, {
          cause: error,
        })
      }
      const name = error instanceof Error ? error.name : ''
      if (name === 'ConfluentSchemaRegistryCompatibilityError' || /incompatible/i.test(message)) {
        throw new TrendsError('SCHEMA_INCOMPATIBLE', `schema for subject ${subject} is not BACKWARD compatible`, { cause: error })
      }
      // A service (re)started while the registry is down waits for it rather than exiting at once.
      if (UNREACHABLE.test(message) && Date.now() - began < UNAVAILABLE_WAIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** waits++)))
        continue
      }
      throw new TrendsError('SCHEMA_REGISTRY_UNAVAILABLE', `could not register a schema for subject ${subject}`, {
        retryable: true,
        cause: error,
      })
    }
  }
}
