export { readKafkaSettings, readRegistrySettings, DEFAULT_BROKERS, DEFAULT_REGISTRY_URL } from './config.ts'
export type { KafkaSettings, RegistrySettings } from './config.ts'
export { createKafka, orderedProducer, pinoLogCreator } from './client.ts'
export type { CreateKafkaOptions } from './client.ts'
export { waitForKafka, ensureTopics } from './admin.ts'
export { createSchemaRegistry, registerAvroSchema, SchemaRegistry, SchemaType, COMPATIBILITY } from './registry.ts'
export type {
  Kafka,
  Producer,
  Consumer,
  Admin,
  IHeaders,
  KafkaMessage,
  EachBatchPayload,
  EachMessagePayload,
  ITopicConfig,
  ConsumerConfig,
  ConsumerRunConfig,
  ProducerConfig,
  Transaction,
} from 'kafkajs'
export { CompressionTypes, Partitioners } from 'kafkajs'
export { silenceKafkajsTimerWarning } from './warnings.ts'
export { SCHEMAS_DIR, readAvroSchema, registerTopicSchema } from './schemas.ts'
export { COMPRESSION, registerZstdCodec } from './codecs.ts'
export {
  topicsFor,
  topicSpecs,
  readTopicLayout,
  DEFAULT_TOPIC_LAYOUT,
  TOPIC_MAX_MESSAGE_BYTES,
  type Topics,
  type TopicKind,
  type TopicLayout,
} from './topics.ts'
export { readTopic, retrying, type ReadProgress, type ReadTopicOptions } from './read.ts'
export { chunkByBytes, recordBytes, SEND_CHUNK_BYTES } from './chunks.ts'
export { AvroCodec, AvroFrameError, framedSchemaId } from './avro.ts'
export { checkAvroBounds, AvroBoundsError, type AvroShape } from './avro-bounds.ts'
export {
  deadLetterValue,
  DEAD_LETTER_MESSAGE_MAX,
  type DeadLetterValue,
  type DeadLetterSource,
  type RawRecordValue,
} from './record-values.ts'
export { kafkaCheck, registryCheck, pipelineChecks } from './checks.ts'
export { evictMember, keepMembership, memberFile, type MemberMemory, type MembershipOptions } from './membership.ts'
export { ConsumerHealth, type ConsumerHealthOptions } from './consumer-health.ts'
export {
  superviseConsumer,
  readConsumerSettings,
  describeCrash,
  DEFAULT_CONSUMER_SETTINGS,
  CONSUMER_LOST_EXIT_CODE,
  exitWhenConsumerLost,
  type ConsumerSettings,
  type SuperviseOptions,
  type SupervisedConsumer,
} from './supervise.ts'
