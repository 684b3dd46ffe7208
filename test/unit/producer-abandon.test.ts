import { describe, expect, test } from "bun:test";
import type { Kafka, ProducerBatch, RecordMetadata } from "kafkajs";
import { loadConfig } from "../../src/config";
import { createProducer } from "../../src/kafka/producer";
import { silentLogger } from "../../src/logger";
import { createMetrics } from "../../src/metrics";
import { testSecret } from "../support/stack";

/**
 * A stand-in for kafkajs whose sends hang until the test lets them finish, so that a caller's
 * timeout can pass while its messages still wait behind them. The real broker's side of this is
 * in test/integration/kafka-outage.test.ts.
 */
function heldKafka() {
  const sent: string[][] = [];
  const held: (() => void)[] = [];
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: (batch: ProducerBatch) => {
      const only = batch.topicMessages?.[0];
      const topic = only?.topic ?? "";
      sent.push(only?.messages.map((message) => String(message.value)) ?? []);
      return new Promise<RecordMetadata[]>((resolve) => {
        held.push(() =>
          resolve([{ topicName: topic, partition: 0, errorCode: 0, baseOffset: "0" }]),
        );
      });
    },
  };
  const kafka = { producer: () => producer } as unknown as Kafka;
  const releaseAll = () => {
    for (const release of held.splice(0)) release();
  };
  return { kafka, sent, releaseAll };
}

describe("a send whose caller was answered with a failure", () => {
  test("is not written once the sends ahead of it finish", async () => {
    const config = loadConfig({
      JWT_SECRET: testSecret,
      KAFKA_PRODUCE_TIMEOUT_MS: "100",
      KAFKA_LINGER_MS: "0",
    }).kafka;
    const { kafka, sent, releaseAll } = heldKafka();
    const producer = createProducer(kafka, config, createMetrics(), silentLogger);
    const message = (value: string) => [{ topic: config.topic, value }];

    // Two batches take both in-flight places; the third waits for one of them.
    const first = producer.send(message("first"));
    await Bun.sleep(10);
    const second = producer.send(message("second"));
    await Bun.sleep(10);
    const third = producer.send(message("third"));

    for (const sending of [first, second, third]) {
      expect(sending).rejects.toMatchObject({ code: "backend_unavailable" });
    }
    await Promise.allSettled([first, second, third]);
    expect(sent).toEqual([["first"], ["second"]]);

    // Kafka answers the two in flight; the one whose caller already got a 503 stays unsent.
    releaseAll();
    await Bun.sleep(50);
    expect(sent).toEqual([["first"], ["second"]]);

    // A send after that goes out as usual.
    const fourth = producer.send(message("fourth"));
    await Bun.sleep(20);
    releaseAll();
    expect((await fourth).length).toBe(1);
    expect(sent).toEqual([["first"], ["second"], ["fourth"]]);
    await producer.stop();
  });
});
