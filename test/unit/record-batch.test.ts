import { describe, expect, test } from "bun:test";
import {
  type Encoded,
  MAGIC_BYTE,
  Record,
  RecordBatch,
  type RecordBatchInput,
  type RecordInput,
} from "../../src/kafka/record-batch";

// kafkajs's own Record and RecordBatch, which the build replaces: the reference for every input.
const kafkajs = {
  Record: require("kafkajs/src/protocol/recordBatch/record/v0") as (input: RecordInput) => Encoded,
  batch: require("kafkajs/src/protocol/recordBatch/v0") as {
    RecordBatch(input: unknown): Promise<Encoded>;
    MAGIC_BYTE: number;
  },
  Long: require("kafkajs/src/utils/long") as { fromValue(value: number | string): unknown },
  crc: require("kafkajs/src/protocol/recordBatch/crc32C") as (bytes: Buffer) => number,
};

/** A small seeded generator, so a failure names an input that can be made again. */
function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  return {
    below: (n: number) => next() % n,
    pick: <T>(values: T[]): T => values[next() % values.length] as T,
  };
}

type Random = ReturnType<typeof seeded>;

function text(random: Random): string {
  const alphabet = ["a", "Z", "0", " ", "é", "€", "😀", "\n", '"'];
  const length = random.pick([0, 1, 5, 127, 128, 300, 20_000]);
  let out = "";
  for (let i = 0; i < length; i++) out += random.pick(alphabet);
  return out;
}

function bytes(random: Random): Buffer | string | null {
  const kind = random.below(4);
  if (kind === 0) return null;
  if (kind === 1) return text(random);
  return Buffer.from(text(random));
}

function record(random: Random, offsetDelta: number): RecordInput {
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (let i = random.below(4); i > 0; i--) {
    const value = () => (random.below(2) ? `v${text(random).slice(0, 40)}` : Buffer.from("raw"));
    headers[`h${i}${random.pick(["", "é"])}`] = random.below(3) ? value() : [value(), value()];
  }
  return {
    offsetDelta,
    timestampDelta: random.pick([
      0,
      1,
      -1,
      63,
      64,
      -65,
      1_000_000,
      2 ** 31,
      -(2 ** 31) - 5,
      2 ** 40,
    ]),
    key: bytes(random),
    value: bytes(random),
    headers,
  };
}

describe("the record batch writer gives kafkajs's bytes", () => {
  test("for records of every shape tried", () => {
    const random = seeded(11);
    const differing: number[] = [];
    for (let round = 0; round < 3_000; round++) {
      const input = record(random, random.pick([0, 1, 63, 64, 8_191, 8_192, 70_000]));
      if (!Record(input).buffer.equals(kafkajs.Record(input).buffer)) differing.push(round);
    }
    expect(differing).toEqual([]);
  });

  test("for batches, plain and gzip, with kafkajs's 64-bit values", async () => {
    const random = seeded(12);
    expect(MAGIC_BYTE).toBe(kafkajs.batch.MAGIC_BYTE);
    for (let round = 0; round < 200; round++) {
      const count = random.pick([0, 1, 2, 5, 40]);
      const inputs = Array.from({ length: count }, (_, i) => record(random, i));
      const fields: RecordBatchInput = {
        compression: random.pick([0, 0, 1]),
        firstTimestamp: 1_767_225_600_000 + random.below(1_000_000),
        maxTimestamp: 1_767_225_600_000 + random.below(1_000_000) + 1_000_000,
        partitionLeaderEpoch: random.below(5),
        lastOffsetDelta: Math.max(count - 1, 0),
        transactional: random.below(2) === 1,
        producerEpoch: random.below(3),
        firstSequence: random.below(1_000),
      };
      const longs = { firstOffset: random.below(1_000), producerId: random.pick([-1, 7, 2 ** 40]) };
      const ours = await RecordBatch({
        ...fields,
        firstOffset: kafkajs.Long.fromValue(longs.firstOffset) as { value: bigint },
        producerId: kafkajs.Long.fromValue(longs.producerId) as { value: bigint },
        records: inputs.map(Record),
      });
      const theirs = await kafkajs.batch.RecordBatch({
        ...fields,
        firstOffset: kafkajs.Long.fromValue(longs.firstOffset),
        producerId: kafkajs.Long.fromValue(longs.producerId),
        records: inputs.map(kafkajs.Record),
      });
      expect({ round, bytes: ours.buffer.toString("hex") }).toEqual({
        round,
        bytes: theirs.buffer.toString("hex"),
      });
      expect(ours.size()).toBe(ours.buffer.length);
    }
  });

  test("with kafkajs's defaults when fields are left out", async () => {
    const inputs = [{ value: "one" }, { value: "two", key: "k" }];
    const at = Date.now();
    const ours = await RecordBatch({
      records: inputs.map(Record),
      firstTimestamp: at,
      maxTimestamp: at,
    });
    const theirs = await kafkajs.batch.RecordBatch({
      records: inputs.map(kafkajs.Record),
      firstTimestamp: at,
      maxTimestamp: at,
    });
    expect(ours.buffer.equals(theirs.buffer)).toBe(true);
    // The CRC sits after base offset, length, leader epoch and magic, over all that follows it.
    expect(ours.buffer.readUInt32BE(17)).toBe(kafkajs.crc(ours.buffer.subarray(21)));
  });
});
