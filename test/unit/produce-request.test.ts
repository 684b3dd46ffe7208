import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { frameRequest, type ProduceInput, produceRequest } from "../../src/kafka/produce-request";
import { bytes, headers, type Random, seeded } from "../support/kafka-records";

type Request = Parameters<typeof frameRequest>[0]["request"];
type Frame = (input: Parameters<typeof frameRequest>[0]) => Promise<{ buffer: Buffer }>;

// kafkajs's own Produce v3 request and frame, which the build replaces: the reference.
const kafkajs = {
  produce: require("kafkajs/src/protocol/requests/produce/v3/request") as (
    input: unknown,
  ) => Request,
  produceV7: require("kafkajs/src/protocol/requests/produce/v7/request") as (
    input: unknown,
  ) => Request,
  frame: require("kafkajs/src/protocol/request") as Frame,
  metadata: require("kafkajs/src/protocol/requests/metadata/v6/request") as (input: {
    topics: string[];
    allowAutoTopicCreation: boolean;
  }) => Request,
  Long: require("kafkajs/src/utils/long") as { fromValue(value: number): { value: bigint } },
};

function produceInput(random: Random): ProduceInput {
  const message = () => ({
    key: bytes(random),
    value: bytes(random),
    headers: headers(random),
    // Most sends carry no timestamp (kafkajs then takes the time of the send); some carry one.
    timestamp: random.pick([undefined, undefined, null, 1_767_225_600_000 + random.below(9_999)]),
  });
  const partition = (index: number) => ({
    partition: index,
    firstSequence: random.pick([undefined, 0, 17]),
    messages: Array.from({ length: random.pick([1, 2, 7, 30]) }, message),
  });
  const topic = (index: number) => ({
    topic: random.pick([`events-${index}`, `évents-${index}`]),
    partitions: Array.from({ length: random.pick([1, 1, 3]) }, (_, i) => partition(i)),
  });
  return {
    acks: random.pick([-1, 1, 0]),
    timeout: random.pick([30_000, 5_000]),
    transactionalId: random.pick([null, undefined, "tx-1"]),
    producerId: random.pick([undefined, kafkajs.Long.fromValue(-1), kafkajs.Long.fromValue(42)]),
    producerEpoch: random.pick([undefined, 0, 3]),
    compression: random.pick([0, 0, 1]),
    topicData: Array.from({ length: random.pick([1, 1, 2]) }, (_, i) => topic(i)),
  };
}

const hex = async (frame: Frame, request: Request) =>
  (await frame({ correlationId: 77, clientId: "auterity-analytics", request })).buffer.toString(
    "hex",
  );

describe("the Produce request writer gives kafkajs's bytes", () => {
  afterEach(() => setSystemTime());

  test("for requests of every shape tried, framed as kafkajs frames them", async () => {
    // Sends without a timestamp take the clock; both writers read the same stopped clock.
    setSystemTime(new Date("2026-03-01T10:00:00.000Z"));
    const random = seeded(21);
    for (let round = 0; round < 40; round++) {
      const input = produceInput(random);
      const ours = produceRequest(input);
      const theirs = kafkajs.produce(input);
      expect({ round, bytes: await hex(frameRequest, ours) }).toEqual({
        round,
        bytes: await hex(kafkajs.frame, theirs),
      });
      expect(ours.expectResponse()).toBe(input.acks !== 0);
    }
  });

  test("kafkajs's later versions wrap it under their own version number", async () => {
    setSystemTime(new Date("2026-03-01T10:00:00.000Z"));
    const input = produceInput(seeded(22));
    const v7 = kafkajs.produceV7(input);
    expect(v7.apiVersion).toBe(7);
    // v7 is v3's request with the version changed, so with ours in place of v3 it is ours.
    const ours = { ...produceRequest(input), apiVersion: 7 };
    expect(await hex(frameRequest, ours)).toBe(await hex(kafkajs.frame, v7));
  });

  test("the frame takes kafkajs's other requests as they are", async () => {
    const request = kafkajs.metadata({
      topics: ["a", "événements"],
      allowAutoTopicCreation: false,
    });
    expect(await hex(frameRequest, request)).toBe(await hex(kafkajs.frame, request));
    const nameless = { correlationId: 1, clientId: null, request };
    const ours = await frameRequest(nameless);
    expect(ours.buffer.equals((await kafkajs.frame(nameless)).buffer)).toBe(true);
    expect(ours.buffer.readInt32BE(0)).toBe(ours.buffer.length - 4);
  });
});
