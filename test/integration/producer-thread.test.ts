import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError } from "../../src/errors";
import { producerOnThread } from "../../src/kafka/producer-thread";
import { createLogger, type LogFields } from "../../src/logger";
import { createMetrics } from "../../src/metrics";
import { headerMap, kcatRead } from "../support/events";
import { closedPort, realBackends, runId, testConfig } from "../support/stack";

function capturing() {
  const lines: LogFields[] = [];
  return { lines, logger: createLogger("debug", (line) => lines.push(JSON.parse(line))) };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe("the producer on its own thread, against the real Kafka", () => {
  const topic = `test-${runId}-thread`;
  const config = testConfig({ KAFKA_TOPIC: topic });
  const backends = realBackends(config);

  beforeAll(async () => {
    await backends.kafka.ensureTopics([{ topic, partitions: 1 }]);
  });
  afterAll(async () => {
    await backends.clickhouse.close();
    await backends.kafka.close();
  });

  test("sends land as given (text, bytes, key, headers); placements and metrics come back", async () => {
    const metrics = createMetrics();
    const { logger } = capturing();
    const producer = producerOnThread(config, metrics, logger);
    try {
      // A Buffer arrives on the other thread as a plain Uint8Array; it must still go as bytes.
      const bytes = Buffer.from(`bytes ${runId}`);
      const deliveries = await producer.send([
        { topic, value: `text ${runId}`, key: "k1", headers: { trace: "t-1" } },
        { topic, value: bytes, key: Buffer.from("k2"), headers: { raw: Buffer.from("b") } },
      ]);
      expect(deliveries).toHaveLength(2);
      expect(deliveries[0]).toMatchObject({ topic, partition: 0 });
      expect(Number(deliveries[1]?.offset)).toBe(Number(deliveries[0]?.offset) + 1);

      const records = kcatRead(topic, { offset: Number(deliveries[0]?.offset), count: 2 });
      expect(records.map((record) => record.key)).toEqual(["k1", "k2"]);
      expect(records[0]?.payload).toBe(`text ${runId}`);
      expect(records[1]?.payload).toBe(`bytes ${runId}`);
      expect(headerMap(records[0] as (typeof records)[number])).toEqual({ trace: "t-1" });
      expect(headerMap(records[1] as (typeof records)[number])).toEqual({ raw: "b" });

      const produced = await metrics.kafkaProduced.get();
      expect(produced.values.find((value) => value.labels.topic === topic)?.value).toBe(2);
    } finally {
      await producer.stop();
    }
  });

  test("handed-over memory moves to the thread; any other buffer is copied", async () => {
    const producer = producerOnThread(config, createMetrics(), capturing().logger);
    try {
      const owned = Buffer.from(`moved ${runId} ${"x".repeat(5000)}`);
      // Two messages cut from one piece of memory, as the events route sends them.
      const memory = new TextEncoder().encode(`left ${runId}\nright ${runId}`).buffer;
      const left = Buffer.from(memory, 0, 5 + runId.length);
      const right = Buffer.from(memory, 6 + runId.length);
      const shared = Buffer.from(`copied ${runId} and more`).subarray(0, 7 + runId.length);
      const [first, ...rest] = await producer.send(
        [
          { topic, value: owned },
          { topic, value: left },
          { topic, value: right },
          { topic, value: shared },
        ],
        { handOver: [owned.buffer as ArrayBuffer, memory] },
      );
      // Moved: the caller's buffers are empty now. Copied: the caller's bytes are untouched.
      expect([owned.byteLength, left.byteLength, right.byteLength]).toEqual([0, 0, 0]);
      expect(shared.toString()).toBe(`copied ${runId}`);
      const records = kcatRead(topic, { offset: Number(first?.offset), count: 4 });
      expect(records[0]?.payload).toStartWith(`moved ${runId} xxx`);
      expect(records.slice(1).map((record) => record.payload)).toEqual([
        `left ${runId}`,
        `right ${runId}`,
        `copied ${runId}`,
      ]);
      expect(rest.map((delivery) => Number(delivery.offset))).toEqual(
        [1, 2, 3].map((n) => Number(first?.offset) + n),
      );
    } finally {
      await producer.stop();
    }
  });

  test("a full queue is the same 503 queue_full with Retry-After as on the request thread", async () => {
    const small = testConfig({ KAFKA_TOPIC: topic, KAFKA_MAX_QUEUE_BYTES: "1000" });
    const producer = producerOnThread(small, createMetrics(), capturing().logger);
    try {
      const error = await rejection(producer.send([{ topic, value: "x".repeat(2000) }]));
      expect(error.code).toBe("queue_full");
      expect(error.headers["Retry-After"]).toBe("1");
    } finally {
      await producer.stop();
    }
  });

  test("Kafka down: a 503 within the produce timeout", async () => {
    const down = testConfig({
      KAFKA_TOPIC: topic,
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
      KAFKA_PRODUCE_TIMEOUT_MS: "1500",
    });
    const producer = producerOnThread(down, createMetrics(), capturing().logger);
    const started = Date.now();
    try {
      const error = await rejection(producer.send([{ topic, value: "lost?" }]));
      expect(error.code).toBe("backend_unavailable");
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await producer.stop();
    }
  }, 30_000);

  test("stop waits for what was sent; later sends are refused", async () => {
    const producer = producerOnThread(config, createMetrics(), capturing().logger);
    const sending = producer.send([{ topic, value: `last ${runId}` }]);
    await producer.stop();
    const [delivery] = await sending;
    expect(kcatRead(topic, { offset: Number(delivery?.offset), count: 1 })[0]?.payload).toBe(
      `last ${runId}`,
    );
    expect((await rejection(producer.send([{ topic, value: "late" }]))).code).toBe(
      "backend_unavailable",
    );
  });
});
