/**
 * OTLP common/v1 messages: the KeyValue list of a span's, a resource's, a scope's, an event's
 * or a link's attributes, and AnyValue, written as the SDK's ProtobufTraceSerializer writes
 * them (its unit test compares the bytes).
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { ProtobufWriter } from './protobuf-writer.js';

/** Wire types used below. */
const LEN = 2;
const VARINT = 0;
const I64 = 1;

/** `attributes` as repeated KeyValue field `field` of the message being written. */
export function writeAttributes(w: ProtobufWriter, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    const name = attributeName(key);
    w.tag(field, LEN);
    const known = name.message(value);
    if (known !== undefined) {
      w.raw(known);
      continue;
    }
    const at = w.begin();
    w.raw(name.keyField);
    writeValueField(w, value);
    w.end(at);
    name.learn(value, w, at);
  }
}

function writeKeyValue(w: ProtobufWriter, key: string, value: unknown): void {
  w.tag(1, LEN);
  w.string(key);
  writeValueField(w, value);
}

function writeValueField(w: ProtobufWriter, value: unknown): void {
  w.tag(2, LEN);
  const at = w.begin();
  writeAnyValue(w, value);
  w.end(at);
}

/** Values of one name whose whole KeyValue is kept: enough for a route's few and a model's one. */
const VALUES_PER_NAME = 4;
/** A KeyValue longer than this is not kept (a long error message, a large array). */
const MAX_KEPT_BYTES = 256;

/**
 * An attribute name's `key` field, and the whole KeyValue message (length first) of the first
 * few values it was written with. A traced request's spans repeat most of theirs: the model's
 * name, version and track, the route, the method, the scheme, the protocol version, the path,
 * the user agent, the status code. Writing them afresh for every span was most of the
 * encoder's time per span after the ids; a name whose values keep changing (a request id)
 * costs a few comparisons more.
 */
class AttributeName {
  private readonly values: unknown[] = [];
  private readonly messages: Uint8Array[] = [];

  constructor(
    readonly keyField: Uint8Array,
    private readonly keepsValues: boolean,
  ) {}

  /** The KeyValue of `value`, if it is one kept: primitives compared by `===`. */
  message(value: unknown): Uint8Array | undefined {
    const values = this.values;
    for (let i = 0; i < values.length; i++)
      if (values[i] === value) return this.messages[i] as Uint8Array;
    return undefined;
  }

  /** Keeps the KeyValue just written at `at` (its length byte) if `value` is one to keep. */
  learn(value: unknown, w: ProtobufWriter, at: number): void {
    if (!this.keepsValues || this.values.length >= VALUES_PER_NAME) return;
    if (w.pos - at > MAX_KEPT_BYTES) return;
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return;
    this.values.push(value);
    this.messages.push(w.copy(at));
  }
}

/** Names seen, up to a bound: they come from code, a few dozen; more would be made from data. */
const names = new Map<string, AttributeName>();
const MAX_NAMES = 1024;

function attributeName(key: string): AttributeName {
  let name = names.get(key);
  if (name === undefined) {
    const w = new ProtobufWriter(key.length + 8);
    w.tag(1, LEN);
    w.string(key);
    const kept = names.size < MAX_NAMES;
    name = new AttributeName(w.finish(), kept);
    if (kept) names.set(key, name);
  }
  return name;
}

const INT64_MIN = -(2 ** 63);
const INT64_BOUND = 2 ** 63;

/** common.v1.AnyValue, for every value the SDK's serializer accepts, the same way. */
function writeAnyValue(w: ProtobufWriter, value: AttributeValue | unknown): void {
  if (typeof value === 'string') {
    w.tag(1, LEN);
    w.string(value);
  } else if (typeof value === 'boolean') {
    w.tag(2, VARINT);
    w.varint(value ? 1 : 0);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_BOUND) {
      w.tag(3, VARINT);
      if (value >= 0) w.varint(value);
      else w.negativeVarint(value);
    } else {
      w.tag(4, I64);
      w.double(value);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, LEN);
    const at = w.begin();
    for (const item of value as unknown[]) {
      w.tag(1, LEN);
      const itemAt = w.begin();
      writeAnyValue(w, item);
      w.end(itemAt);
    }
    w.end(at);
  } else if (typeof value === 'object' && value !== null) {
    w.tag(6, LEN);
    const at = w.begin();
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      w.tag(1, LEN);
      const kvAt = w.begin();
      writeKeyValue(w, key, (value as Record<string, unknown>)[key]);
      w.end(kvAt);
    }
    w.end(at);
  }
}
