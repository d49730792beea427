/**
 * The parts of an avsc type a walk over its binary encoding needs (avsc's own Type objects have them).
 */
export interface AvroShape {
  typeName: string
  fields?: ReadonlyArray<{ type: AvroShape }>
  itemsType?: AvroShape
  valuesType?: AvroShape
  types?: readonly AvroShape[]
  underlyingType?: AvroShape
  size?: number
}

/** Thrown when Avro bytes cannot be what their schema says; the message says where. */
export class AvroBoundsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AvroBoundsError'
  }
}

/** Items of a block whose items may encode to no bytes at all (null, an empty record): more is refused. */
const MAX_EMPTY_ITEMS = 1 << 20

/** The fewest bytes one value of `type` takes (0 when it may take none), for bounding block counts. */
function minimumBytes(type: AvroShape, seen = new Set<AvroShape>()): number {
  if (seen.has(type)) return 0
  seen.add(type)
  switch (type.typeName) {
    case 'null':
      return 0
    case 'float':
      return 4
    case 'double':
      return 8
    case 'fixed':
      return type.size ?? 0
    case 'record':
    case 'error':
      return (type.fields ?? []).reduce((sum, field) => sum + minimumBytes(field.type, seen), 0)
    default:
      if (type.typeName.startsWith('logical:') && type.underlyingType !== undefined) return minimumBytes(type.underlyingType, seen)
      // boolean, int, long, enum, string, bytes, array, map, union: at least one byte (a varint or the byte itself).
      return 1
  }
}

/** The fewest bytes of each array item and map entry type met so far (a schema's types live as long as it). */
const MINIMUMS = new WeakMap<AvroShape, number>()

function blockItemBytes(t: AvroShape, item: AvroShape): number {
  let least = MINIMUMS.get(item)
  if (least === undefined) MINIMUMS.set(item, (least = minimumBytes(item)))
  // A map entry is its key (a string: at least one byte) and its value.
  return t.typeName === 'map' ? least + 1 : least
}

/** One walk over one value's bytes. */
class Walk {
  at = 0
  readonly bytes: Uint8Array
  constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }

  fail(what: string): never {
    throw new AvroBoundsError(`${what} at byte ${this.at} of ${this.bytes.length}`)
  }

  long(): number {
    const bytes = this.bytes
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.at >= bytes.length) this.fail('the bytes end inside a number')
      const byte = bytes[this.at++]!
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2
      scale *= 128
    }
    return this.fail('a number longer than ten bytes')
  }

  skip(count: number, what: string): void {
    const left = this.bytes.length - this.at
    if (count < 0 || count > left) this.fail(`${what} of ${count} bytes with ${left} left`)
    this.at += count
  }

  value(t: AvroShape): void {
    switch (t.typeName) {
      case 'null':
        return
      case 'boolean':
        return this.skip(1, 'a boolean')
      case 'int':
      case 'long':
      case 'enum':
        this.long()
        return
      case 'float':
        return this.skip(4, 'a float')
      case 'double':
        return this.skip(8, 'a double')
      case 'string':
        return this.skip(this.long(), 'a string')
      case 'bytes':
        return this.skip(this.long(), 'bytes')
      case 'fixed':
        return this.skip(t.size ?? 0, 'a fixed')
      case 'record':
      case 'error':
        for (const field of t.fields ?? []) this.value(field.type)
        return
      case 'array':
      case 'map':
        return this.blocks(t)
      case 'union:unwrapped':
      case 'union:wrapped': {
        const branch = this.long()
        const chosen = t.types?.[branch]
        if (chosen === undefined) this.fail(`union branch ${branch} of ${t.types?.length ?? 0}`)
        return this.value(chosen)
      }
      default:
        if (t.typeName.startsWith('logical:') && t.underlyingType !== undefined) return this.value(t.underlyingType)
        this.fail(`a type this check does not know (${t.typeName})`)
    }
  }

  blocks(t: AvroShape): void {
    const map = t.typeName === 'map'
    const item = (map ? t.valuesType : t.itemsType)!
    const least = blockItemBytes(t, item)
    for (;;) {
      let count = this.long()
      if (count === 0) return
      if (count < 0) {
        count = -count
        this.long() // the block's size in bytes, which the walk does not need
      }
      const left = this.bytes.length - this.at
      if (count > (least === 0 ? MAX_EMPTY_ITEMS : Math.floor(left / least)))
        this.fail(`a block of ${count} ${t.typeName} items with ${left} bytes left`)
      for (let i = 0; i < count; i++) {
        if (map) this.skip(this.long(), 'a map key')
        this.value(item)
      }
    }
  }
}

/**
 * Walks Avro binary `bytes` as `type` without building any value, and throws AvroBoundsError where
 * the bytes promise more than they hold: a length or an array or map block count larger than the
 * bytes left (avsc believes a count and loops over it before noticing the buffer ended, so a
 * 9e15-item count holds the event loop for hours), a varint longer than ten bytes, a union branch
 * that does not exist. One linear pass; the decode that follows is then bounded by the bytes.
 */
export function checkAvroBounds(type: AvroShape, bytes: Uint8Array): void {
  new Walk(bytes).value(type)
}
