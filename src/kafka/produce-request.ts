/*
 * Kafka's Produce request (versions 3 to 7, all one layout) and the frame around every request,
 * with each record batch copied once, into the frame.
 *
 * kafkajs writes a partition, then its topic, then the request, then the frame, each in a new
 * zero-filled buffer that starts at 512 bytes and doubles, so a batch of a hundred kilobytes is
 * allocated and copied again at every level: after the record batch writer, that was most of the
 * producer thread's work. Here every layer is a list of pieces, the messages' values among them,
 * and the frame writes them all into memory of its exact size. The build puts these in kafkajs's
 * place (see build/kafkajs-parts.ts); a test holds the bytes to kafkajs's own.
 */
import { Encoded, Record, RecordBatch } from "./record-batch";

/** What kafkajs's request encoders hand the frame: its Encoder, or an Encoded in pieces. */
interface Payload {
  buffer: Buffer;
}

/** Kafka's STRING and NULLABLE_STRING: a 16-bit length (-1 for null), then UTF-8. */
function stringBytes(value: string | null | undefined): Buffer {
  if (value == null) return Buffer.from([0xff, 0xff]);
  const length = Buffer.byteLength(value);
  const out = Buffer.allocUnsafe(2 + length);
  out.writeInt16BE(length, 0);
  out.write(value, 2, length, "utf8");
  return out;
}

const int32 = (value: number) => {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value, 0);
  return out;
};

/**
 * The frame: size, API key and version, correlation id, client id, then the request itself, in
 * one buffer of exactly that size. Takes the place of kafkajs's protocol/request.js.
 */
export async function frameRequest(input: {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode(): Promise<Payload> | Payload };
}): Promise<Encoded> {
  const { apiKey, apiVersion, encode } = input.request;
  const payload = await encode();
  const parts = payload instanceof Encoded ? payload.parts : [payload.buffer];
  const client = stringBytes(input.clientId);
  const bodyLength = parts.reduce((sum, part) => sum + part.length, 8 + client.length);

  const out = Buffer.allocUnsafe(4 + bodyLength);
  out.writeInt32BE(bodyLength, 0);
  out.writeInt16BE(apiKey, 4);
  out.writeInt16BE(apiVersion, 6);
  out.writeInt32BE(input.correlationId, 8);
  let at = 12 + client.copy(out, 12);
  for (const part of parts) at += part.copy(out, at);
  return new Encoded([out]);
}

interface OutgoingRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[]>;
  timestamp?: number | string | null;
}

interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: OutgoingRecord[];
}

export interface ProduceInput {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: { value: bigint } | number;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: PartitionData[] }[];
}

/** One partition's record batch, with the timestamps and deltas kafkajs gives it. */
function partitionBatch(data: PartitionData, input: ProduceInput): Promise<Encoded> {
  const now = Date.now();
  // kafkajs sorts the timestamps as text; the same order keeps the same first and max.
  const stamps = data.messages
    .map((message) => message.timestamp)
    .filter((stamp) => stamp != null)
    .sort() as (number | string)[];
  const first = stamps.length === 0 ? now : (stamps[0] as number | string);
  const max = stamps.length === 0 ? now : (stamps[stamps.length - 1] as number | string);
  const records = data.messages.map((message, offsetDelta) =>
    Record({
      ...message,
      offsetDelta,
      timestampDelta: Number(message.timestamp || now) - Number(first),
    }),
  );
  return RecordBatch({
    compression: input.compression ?? 0,
    records,
    firstTimestamp: first,
    maxTimestamp: max,
    producerId: input.producerId ?? -1,
    producerEpoch: input.producerEpoch ?? 0,
    firstSequence: data.firstSequence,
    transactional: Boolean(input.transactionalId),
    lastOffsetDelta: records.length - 1,
  });
}

/** Produce v3: kafkajs's request object, with `encode` giving the parts in order. */
export function produceRequest(input: ProduceInput) {
  return {
    apiKey: 0,
    apiVersion: 3,
    apiName: "Produce",
    expectResponse: () => input.acks !== 0,
    encode: async (): Promise<Encoded> => {
      const head = Buffer.allocUnsafe(10);
      head.writeInt16BE(input.acks, 0);
      head.writeInt32BE(input.timeout, 2);
      head.writeInt32BE(input.topicData.length, 6);
      const parts = [stringBytes(input.transactionalId ?? null), head];
      for (const { topic, partitions } of input.topicData) {
        parts.push(stringBytes(topic), int32(partitions.length));
        for (const data of partitions) {
          const batch = await partitionBatch(data, input);
          const at = Buffer.allocUnsafe(8);
          at.writeInt32BE(data.partition, 0);
          at.writeInt32BE(batch.size(), 4);
          parts.push(at, ...batch.parts);
        }
      }
      return new Encoded(parts);
    },
  };
}
