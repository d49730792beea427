import { promisify } from 'node:util'
import { zstdCompress, zstdDecompress } from 'node:zlib'
import kafkajs from 'kafkajs'

// CompressionCodecs is not among the names Node can see in kafkajs's CommonJS exports.
const { CompressionCodecs, CompressionTypes } = kafkajs

const compress = promisify(zstdCompress)
const decompress = promisify(zstdDecompress)

/**
 * kafkajs ships only gzip; Kafka, librdkafka and the Java clients all read zstd, and Node 24 has it
 * in zlib. zstd compresses our records several times faster than gzip at a similar ratio, which is
 * what lets a producer keep up with its encoder. Registered by createKafka, so every client of
 * this project (producers and consumers) can write and read it.
 */
export function registerZstdCodec(): void {
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => compress(encoder.buffer),
    decompress: (buffer: Buffer) => decompress(buffer),
  })
}

/** The compression this project's producers use. */
export const COMPRESSION = CompressionTypes.ZSTD
