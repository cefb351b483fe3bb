/**
 * Attribute entries already encoded, kept to be copied instead of encoded again. Most of a
 * runtime span's attributes repeat from span to span (the model's name and version, the
 * route, the method, a status code, a batch size), and encoding a KeyValue field by field was
 * the largest part of the OTLP encoding in CPU profiles at 10 % sampling. The bytes of an
 * entry depend only on its field number, key and value, so a copy is the same bytes.
 *
 * Bounded: a key that shows more than VALUES_PER_KEY distinct values (a request id, a path
 * with ids in it) stops being kept, and at most KEYS keys are kept per field.
 */
const VALUES_PER_KEY = 64;
const KEYS = 256;
/** Longer strings are encoded each time: they rarely repeat and would fill the memory. */
const LONGEST_STRING = 256;

export type CacheableValue = string | number | boolean;

/** The values of one key and their bytes, or null once the key has too many to keep. */
type ValueBytes = Map<CacheableValue, Uint8Array> | null;

export class EncodedAttributes {
  private readonly byField = new Map<number, Map<string, ValueBytes>>();

  /** The bytes of `key`=`value` in `field` if kept; undefined if not (yet). */
  get(field: number, key: string, value: CacheableValue): Uint8Array | undefined {
    return this.byField.get(field)?.get(key)?.get(value);
  }

  /** Keeps the bytes just written for `key`=`value` in `field`, within the bounds above. */
  keep(field: number, key: string, value: CacheableValue, bytes: Uint8Array): void {
    let byKey = this.byField.get(field);
    if (byKey === undefined) this.byField.set(field, (byKey = new Map()));
    let values = byKey.get(key);
    if (values === null) return;
    if (values === undefined) {
      if (byKey.size >= KEYS) return;
      byKey.set(key, (values = new Map()));
    }
    if (values.size >= VALUES_PER_KEY) {
      byKey.set(key, null);
      return;
    }
    values.set(value, bytes);
  }
}

/** Whether a value's entry may be kept: short strings, integers and booleans. */
export function isCacheable(value: unknown): value is CacheableValue {
  if (typeof value === 'string') return value.length <= LONGEST_STRING;
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return typeof value === 'boolean';
}
