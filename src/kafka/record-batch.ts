/*
 * Kafka's record batch (format 2) written once, into memory of its exact size.
 *
 * kafkajs 2.x builds each record, and then the batch around the records, in buffers that start
 * at 512 bytes and double as they fill, and copies the finished batch twice more: every byte of a
 * message of a hundred events is copied six times or so, and most of what is allocated is thrown
 * away. With the one-byte-at-a-time checksum, that was most of the producer thread's work.
 * `Record` and `RecordBatch` here take kafkajs's arguments and give the same bytes (a test holds
 * them to kafkajs's own); the build puts them in its place (see build/kafkajs-parts.ts).
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
 * Finished bytes, shaped as kafkajs's Encoder where its request encoders read one: `buf` and
 * `buffer` for the bytes, `size()` for their length.
 */
export class Encoded {
  constructor(readonly buf: Buffer) {}
  get buffer(): Buffer {
    return this.buf;
  }
  size(): number {
    return this.buf.length;
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

/** One record of a batch, with its length in front, as kafkajs's Record gives it. */
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
  let body =
    1 +
    sizeOfVarlong(time) +
    sizeOfUnsigned(zigZag32(offsetDelta)) +
    sizeOfUnsigned(zigZag32(keyLength)) +
    Math.max(keyLength, 0) +
    sizeOfUnsigned(zigZag32(valueLength)) +
    Math.max(valueLength, 0) +
    sizeOfUnsigned(zigZag32(pairs.length));
  const lengths = pairs.map((pair) => {
    const nameLength = Buffer.byteLength(pair.key);
    const length = fieldBytes(pair.value);
    body += sizeOfUnsigned(zigZag32(nameLength)) + nameLength;
    body += sizeOfUnsigned(zigZag32(length)) + Math.max(length, 0);
    return { nameLength, length };
  });

  const out = new Writer(Buffer.allocUnsafe(sizeOfUnsigned(zigZag32(body)) + body));
  out.varint(body);
  out.bytes[out.at++] = 0; // attributes: none are used in records
  out.varlong(time);
  out.varint(offsetDelta);
  out.lengthPrefixed(key, keyLength);
  out.lengthPrefixed(value, valueLength);
  out.varint(pairs.length);
  pairs.forEach((pair, i) => {
    const { nameLength, length } = lengths[i] as { nameLength: number; length: number };
    out.lengthPrefixed(pair.key, nameLength);
    out.lengthPrefixed(pair.value, length);
  });
  return new Encoded(out.bytes);
}

/**
 * The batch as kafkajs's RecordBatch gives it: base offset and length in front, then the batch
 * with its CRC-32C over everything after the CRC. Records are copied once, into place.
 */
export async function RecordBatch(input: RecordBatchInput): Promise<Encoded> {
  const { compression = 0, records = [] } = input;
  const now = Date.now();
  const codec = compression === 0 ? null : lookupCodec(compression);
  let recordBytes: Buffer[] = records.map((record) => record.buffer);
  if (codec) {
    recordBytes = [await codec.compress({ buffer: Buffer.concat(recordBytes) })];
  }
  const size = recordBytes.reduce((sum, bytes) => sum + bytes.length, recordsAt);

  const bytes = Buffer.allocUnsafe(size);
  bytes.writeBigInt64BE(toInt64(input.firstOffset ?? 0), 0);
  bytes.writeInt32BE(size - 12, 8);
  bytes.writeInt32BE(input.partitionLeaderEpoch ?? 0, 12);
  bytes.writeInt8(MAGIC_BYTE, 16);
  const attributes = (compression & codecMask) | (input.transactional ? transactionalFlag : 0);
  bytes.writeInt16BE(attributes, crcAt + 4);
  bytes.writeInt32BE(input.lastOffsetDelta ?? 0, crcAt + 6);
  bytes.writeBigInt64BE(toInt64(input.firstTimestamp ?? now), crcAt + 10);
  bytes.writeBigInt64BE(toInt64(input.maxTimestamp ?? now), crcAt + 18);
  bytes.writeBigInt64BE(toInt64(input.producerId ?? -1), crcAt + 26);
  bytes.writeInt16BE(input.producerEpoch ?? 0, crcAt + 34);
  bytes.writeInt32BE(input.firstSequence ?? 0, crcAt + 36);
  bytes.writeInt32BE(records.length, crcAt + 40);
  let at = recordsAt;
  for (const part of recordBytes) {
    bytes.set(part, at);
    at += part.length;
  }
  bytes.writeUInt32BE(crc32c(bytes.subarray(crcAt + 4)), crcAt);
  return new Encoded(bytes);
}
