/*
 * Kafka's record batch (format 2) written once, into memory of its exact size.
 *
 * kafkajs 2.x builds each record, and then the batch around the records, in buffers that start
 * at 512 bytes and double as they fill, and copies the finished batch twice more: every byte of a
 * message of a hundred events is copied six times or so, and most of what is allocated is thrown
 * away. With the one-byte-at-a-time checksum, that was most of the producer thread's work.
 * `Record` and `RecordBatch` here take kafkajs's arguments and give the same bytes (a test holds
 * them to kafkajs's own); the Produce request in produce-request.ts uses them in its place.
 */
import { crc32c } from "./crc32c";

/** A key, value or header value as kafkajs takes it. */
type Bytes = Buffer | string | null | undefined;

export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
}

/** kafkajs's 64-bit values: its Long (a wrapped bigint), a number, a string or a bigint. */
type Int64 = { value: bigint } | number | string | bigint;

export interface RecordBatchInput {
  compression?: number;
  firstOffset?: Int64;
  firstTimestamp?: Int64;
  maxTimestamp?: Int64;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: Int64;
  producerEpoch?: number;
  firstSequence?: number;
  records?: Encoded[];
}

/**
 * Finished bytes, shaped as kafkajs's Encoder where its request encoders read one: `buffer` (and
 * `buf`) for the bytes, `size()` for their length. They are kept as the pieces they were written
 * in, so that a message's value is copied once, into the request's frame, and not at each layer.
 */
export class Encoded {
  readonly length: number;
  constructor(readonly parts: Buffer[]) {
    let length = 0;
    for (const part of parts) length += part.length;
    this.length = length;
  }
  get buffer(): Buffer {
    const [only] = this.parts;
    return this.parts.length === 1 && only ? only : Buffer.concat(this.parts, this.length);
  }
  get buf(): Buffer {
    return this.buffer;
  }
  size(): number {
    return this.length;
  }
}

/** Codecs by compression type, as kafkajs looks them up (gzip is the one it ships). */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
}
const { lookupCodec } = require("kafkajs/src/protocol/message/compression") as {
  lookupCodec(type: number): Codec | null;
};

export const MAGIC_BYTE = 2;
const transactionalFlag = 16;
const codecMask = 0x07;
// Base offset, batch length, leader epoch, magic, CRC; then the part the CRC covers: attributes,
// last offset delta, first and max timestamp, producer id and epoch, first sequence, count.
const crcAt = 8 + 4 + 4 + 1;
const recordsAt = crcAt + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

const zigZag32 = (value: number) => ((value << 1) ^ (value >> 31)) >>> 0;

function sizeOfUnsigned(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 128)) size++;
  return size;
}

/** A varlong's zigzag value: a number when it fits in 32 bits (every delta in practice). */
function zigZag64(value: number): number | bigint {
  if (Number.isNaN(value)) return 0;
  if (value >= -0x80000000 && value <= 0x7fffffff && Number.isInteger(value)) {
    return value >= 0 ? value * 2 : -value * 2 - 1;
  }
  // BigInt() refuses a fraction or an infinity, as kafkajs does.
  const wide = BigInt.asIntN(64, BigInt(value));
  return BigInt.asUintN(64, (wide << 1n) ^ (wide >> 63n));
}

function sizeOfVarlong(zigZagged: number | bigint): number {
  if (typeof zigZagged === "number") return sizeOfUnsigned(zigZagged);
  let size = 1;
  for (let rest = zigZagged; rest >= 0x80n; rest >>= 7n) size++;
  return size;
}

const toInt64 = (value: Int64): bigint => {
  if (typeof value === "object") return BigInt.asIntN(64, value.value);
  if (typeof value === "number" && Number.isNaN(value)) return 0n;
  return BigInt.asIntN(64, BigInt(value));
};

/** A length-prefixed field: null stays null (length -1), a Buffer is itself, others are text. */
function field(value: Bytes): Buffer | string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value : String(value);
}

const fieldBytes = (value: Buffer | string | null) =>
  value === null ? -1 : typeof value === "string" ? Buffer.byteLength(value) : value.length;

/** Writes into one Buffer front to back. */
class Writer {
  at = 0;
  constructor(readonly bytes: Buffer) {}

  unsigned(value: number) {
    let rest = value;
    while (rest >= 0x80) {
      this.bytes[this.at++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.bytes[this.at++] = rest;
  }

  varint(value: number) {
    this.unsigned(zigZag32(value));
  }

  varlong(zigZagged: number | bigint) {
    if (typeof zigZagged === "number") return this.unsigned(zigZagged);
    let rest = zigZagged;
    while (rest >= 0x80n) {
      this.bytes[this.at++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.bytes[this.at++] = Number(rest);
  }

  /** A varint length, then the bytes; `length` is the field's byte length, -1 for null. */
  lengthPrefixed(value: Buffer | string | null, length: number) {
    this.varint(length);
    if (value === null) return;
    if (typeof value === "string") this.bytes.write(value, this.at, length, "utf8");
    else this.bytes.set(value, this.at);
    this.at += length;
  }
}

/**
 * One record of a batch, with its length in front, as kafkajs's Record gives it. A value that is
 * a Buffer stays where it is, a piece of its own between the record's head and its headers.
 */
export function Record(input: RecordInput): Encoded {
  const { offsetDelta = 0, timestampDelta = 0, headers = {} } = input;
  const key = field(input.key);
  const value = field(input.value);
  const pairs: { key: string; value: Buffer | string | null }[] = [];
  for (const name of Object.keys(headers)) {
    const given = headers[name];
    for (const one of Array.isArray(given) ? given : [given]) {
      pairs.push({ key: name, value: field(one) });
    }
  }

  const time = zigZag64(timestampDelta);
  const keyLength = fieldBytes(key);
  const valueLength = fieldBytes(value);
  const valueApart = Buffer.isBuffer(value) && valueLength > 0;
  let tail = sizeOfUnsigned(zigZag32(pairs.length));
  const lengths = pairs.map((pair) => {
    const nameLength = Buffer.byteLength(pair.key);
    const length = fieldBytes(pair.value);
    tail += sizeOfUnsigned(zigZag32(nameLength)) + nameLength;
    tail += sizeOfUnsigned(zigZag32(length)) + Math.max(length, 0);
    return { nameLength, length };
  });
  const body =
    1 +
    sizeOfVarlong(time) +
    sizeOfUnsigned(zigZag32(offsetDelta)) +
    sizeOfUnsigned(zigZag32(keyLength)) +
    Math.max(keyLength, 0) +
    sizeOfUnsigned(zigZag32(valueLength)) +
    Math.max(valueLength, 0) +
    tail;

  const headLength = sizeOfUnsigned(zigZag32(body)) + body - tail;
  const out = new Writer(Buffer.allocUnsafe(headLength - (valueApart ? valueLength : 0) + tail));
  out.varint(body);
  out.bytes[out.at++] = 0; // attributes: none are used in records
  out.varlong(time);
  out.varint(offsetDelta);
  out.lengthPrefixed(key, keyLength);
  if (valueApart) out.varint(valueLength);
  else out.lengthPrefixed(value, valueLength);
  const head = out.at;
  out.varint(pairs.length);
  pairs.forEach((pair, i) => {
    const { nameLength, length } = lengths[i] as { nameLength: number; length: number };
    out.lengthPrefixed(pair.key, nameLength);
    out.lengthPrefixed(pair.value, length);
  });
  if (!valueApart) return new Encoded([out.bytes]);
  return new Encoded([out.bytes.subarray(0, head), value as Buffer, out.bytes.subarray(head)]);
}

/**
 * The batch as kafkajs's RecordBatch gives it: base offset and length in front, then the batch
 * with its CRC-32C over everything after the CRC. The records' pieces follow the batch's head as
 * they are; only a compressed batch is joined, to be compressed.
 */
export async function RecordBatch(input: RecordBatchInput): Promise<Encoded> {
  const { compression = 0, records = [] } = input;
  const now = Date.now();
  const codec = compression === 0 ? null : lookupCodec(compression);
  let parts = records.flatMap((record) => record.parts);
  if (codec) parts = [await codec.compress({ buffer: Buffer.concat(parts) })];
  const size = parts.reduce((sum, part) => sum + part.length, recordsAt);

  const head = Buffer.allocUnsafe(recordsAt);
  head.writeBigInt64BE(toInt64(input.firstOffset ?? 0), 0);
  head.writeInt32BE(size - 12, 8);
  head.writeInt32BE(input.partitionLeaderEpoch ?? 0, 12);
  head.writeInt8(MAGIC_BYTE, 16);
  const attributes = (compression & codecMask) | (input.transactional ? transactionalFlag : 0);
  head.writeInt16BE(attributes, crcAt + 4);
  head.writeInt32BE(input.lastOffsetDelta ?? 0, crcAt + 6);
  head.writeBigInt64BE(toInt64(input.firstTimestamp ?? now), crcAt + 10);
  head.writeBigInt64BE(toInt64(input.maxTimestamp ?? now), crcAt + 18);
  head.writeBigInt64BE(toInt64(input.producerId ?? -1), crcAt + 26);
  head.writeInt16BE(input.producerEpoch ?? 0, crcAt + 34);
  head.writeInt32BE(input.firstSequence ?? 0, crcAt + 36);
  head.writeInt32BE(records.length, crcAt + 40);
  let crc = crc32c(head.subarray(crcAt + 4));
  for (const part of parts) crc = crc32c(part, crc);
  head.writeUInt32BE(crc, crcAt);
  return new Encoded([head, ...parts]);
}
