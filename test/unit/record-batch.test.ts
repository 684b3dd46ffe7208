import { describe, expect, test } from "bun:test";
import {
  type Encoded,
  MAGIC_BYTE,
  Record,
  RecordBatch,
  type RecordBatchInput,
  type RecordInput,
} from "../../src/kafka/record-batch";
import { record, seeded } from "../support/kafka-records";

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
