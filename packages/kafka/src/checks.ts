import type { Admin, Kafka } from 'kafkajs'
import type { Logger } from '@trends/logger'
import { createKafka } from './client.ts'
import type { KafkaSettings, RegistrySettings } from './config.ts'

/**
 * Readiness checks for a service's /readyz. Kafka: the cluster answers a metadata request through
 * one admin client kept for the checks (connected on first use, closed with `close`).
 */
export function kafkaCheck(kafka: Kafka): { check: () => Promise<void>; close: () => Promise<void> } {
  let admin: Admin | undefined
  let connecting: Promise<void> | undefined
  return {
    async check() {
      if (admin === undefined) {
        admin = kafka.admin({ retry: { retries: 0 } })
        connecting = admin.connect()
      }
      try {
        await connecting
      } catch (error) {
        admin = undefined
        throw error
      }
      await admin.describeCluster()
    },
    async close() {
      await admin?.disconnect().catch(() => undefined)
    },
  }
}

/** The schema registry answers its subject list (with the configured credentials). */
export function registryCheck(settings: RegistrySettings): () => Promise<void> {
  return async () => {
    const headers: Record<string, string> = {}
    if (settings.username !== undefined)
      headers['authorization'] = `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`
    const response = await fetch(`${settings.url.replace(/\/$/, '')}/subjects`, { headers, signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    // The status as a field: /readyz shows `HTTP 503`, never the error's text.
    if (!response.ok) throw Object.assign(new Error(`registry answered ${response.status}`), { status: response.status })
  }
}

/** The checks every pipeline service has: Kafka and the schema registry, on a client of their own. */
export function pipelineChecks(
  kafkaSettings: KafkaSettings,
  registrySettings: RegistrySettings,
  logger: Logger,
): { checks: Record<string, () => Promise<unknown>>; close: () => Promise<void> } {
  const kafka = kafkaCheck(createKafka({ ...kafkaSettings, clientId: `${kafkaSettings.clientId}-readyz` }, { logger }))
  return { checks: { kafka: kafka.check, registry: registryCheck(registrySettings) }, close: kafka.close }
}
