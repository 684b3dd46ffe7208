import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config";
import type { Metrics } from "../../src/metrics";
import { appOnRealBackends } from "../support/app";
import { dropEvents, headerMap, kcatRead, migrateEvents } from "../support/events";
import { tokenFor } from "../support/identity";
import { closedPort, runId, testConfig } from "../support/stack";

interface Placement {
  topic: string;
  partition: number;
  offset: string;
}

async function batchStats(metrics: Metrics) {
  const { values } = await metrics.kafkaBatchMessages.get();
  const pick = (name: string) => values.find((value) => value.metricName === name)?.value ?? 0;
  return {
    batches: pick("kafka_produce_batch_messages_count"),
    messages: pick("kafka_produce_batch_messages_sum"),
  };
}

describe("produce on the real Kafka", () => {
  const config = testConfig({
    KAFKA_TOPIC: `test-${runId}-produce`,
    RATE_LIMIT_EVENTS_MAX: "0",
  });
  let live: Awaited<ReturnType<typeof appOnRealBackends>>;
  let post: (path: string, body: unknown) => Promise<Response> | Response;

  beforeAll(async () => {
    live = await appOnRealBackends(config);
    await migrateEvents(config, live);
    const token = await tokenFor(config, "ingest");
    post = (path, body) =>
      live.app.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
  });
  afterAll(async () => {
    await dropEvents(config, live);
    await live.close();
  });

  test("what produce wrote is read back by kcat with the same value, key and headers", async () => {
    const value = `hello ${runId} — ünïcödé`;
    const headers = { source: "integration", "trace-id": runId };
    const res = await post("/api/kafka/produce", {
      topic: config.kafka.topic,
      message: value,
      key: "user-42",
      headers,
    });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as Placement & { status: string };
    expect(reply.status).toBe("Message sent");
    expect(reply.topic).toBe(config.kafka.topic);

    const [record] = kcatRead(config.kafka.topic, {
      partition: reply.partition,
      offset: Number(reply.offset),
      count: 1,
    });
    expect(record?.offset).toBe(Number(reply.offset));
    expect(record?.key).toBe("user-42");
    expect(record?.payload).toBe(value);
    expect(record && headerMap(record)).toEqual(headers);
  }, 60_000);

  test("a messages array lands where each placement in the reply says", async () => {
    const messages = ["a", "b", "c", "d"].map((name) => ({
      message: { name, run: runId },
      key: `key-${name}`,
      headers: { name },
    }));
    const res = await post("/api/kafka/produce", { messages });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { count: number; deliveries: Placement[] };
    expect(reply.count).toBe(4);

    reply.deliveries.forEach((placement, index) => {
      const [record] = kcatRead(config.kafka.topic, {
        partition: placement.partition,
        offset: Number(placement.offset),
        count: 1,
      });
      const sent = messages[index];
      expect(record?.key).toBe(sent?.key ?? "");
      expect(JSON.parse(record?.payload ?? "null")).toEqual(sent?.message);
      expect(record && headerMap(record)).toEqual(sent?.headers ?? {});
    });
  }, 60_000);

  test("64 concurrent single-event requests reach Kafka in far fewer batches", async () => {
    const before = await batchStats(live.metrics);
    const replies = await Promise.all(
      Array.from({ length: 64 }, (_, index) =>
        post("/api/events", { event: "concurrent", data: { index } }),
      ),
    );
    expect(replies.map((res) => res.status)).toEqual(Array(64).fill(200));
    const after = await batchStats(live.metrics);
    const batches = after.batches - before.batches;
    expect(after.messages - before.messages).toBe(64);
    expect(batches).toBeLessThan(64);
    console.log(`produce batching: 64 concurrent requests went to Kafka in ${batches} batches`);
  }, 60_000);
});

describe("produce with Kafka down", () => {
  let down: Awaited<ReturnType<typeof appOnRealBackends>>;
  let config: Config;
  beforeAll(async () => {
    config = testConfig({
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
      KAFKA_PRODUCE_TIMEOUT_MS: "1500",
    });
    down = await appOnRealBackends(config);
  });
  afterAll(() => down.close());

  test("produce and events answer a clear 503 within a bounded time", async () => {
    const token = await tokenFor(config, "admin");
    const request = (path: string, body: unknown) =>
      down.app.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const started = Date.now();
    const [produced, events] = await Promise.all([
      request("/api/kafka/produce", { message: "lost?" }),
      request("/api/events", [{ event: "lost?" }]),
    ]);
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const res of [produced, events]) {
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe("backend_unavailable");
      expect(body.error).toContain("Kafka did not acknowledge");
      expect(JSON.stringify(body)).not.toContain("127.0.0.1");
    }
  }, 60_000);
});
