import { afterAll, describe, expect, test } from "bun:test";
import { realBackends, runId, testConfig } from "../support/stack";

// kafkajs has had Bun-specific hangs; this proves a full produce/consume round trip under Bun
// against the broker the stack scripts run.
describe("kafkajs under Bun on the real broker", () => {
  const config = testConfig();
  const { kafka } = realBackends(config);
  const topic = `test-${runId}-roundtrip`;
  afterAll(() => kafka.close());

  test("a message produced with acks from all replicas is consumed back intact", async () => {
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    const producer = kafka.kafka.producer();
    const consumer = kafka.kafka.consumer({ groupId: `test-${runId}-roundtrip` });
    try {
      await producer.connect();
      const [ack] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: "k1", value: "hello", headers: { source: "test" } }],
      });
      expect(ack?.errorCode).toBe(0);

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<{ key?: string; value?: string; source?: string }>((resolve) => {
        consumer.run({
          eachMessage: async ({ message }) =>
            resolve({
              key: message.key?.toString(),
              value: message.value?.toString(),
              source: message.headers?.source?.toString(),
            }),
        });
      });
      expect(await received).toEqual({ key: "k1", value: "hello", source: "test" });
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    }
  });
});
