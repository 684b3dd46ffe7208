import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { ApiError } from "../../src/errors";
import { eventLines } from "../../src/events/message";
import {
  type Delivery,
  type EventProducer,
  maxMessageBytes,
  type OutgoingMessage,
} from "../../src/kafka/producer";
import { appWithoutBackends } from "../support/app";
import { tokenFor } from "../support/identity";

// These tests are about the HTTP edge of produce and events; Kafka itself is proved by the
// integration tests. This producer records what it was given and places it on partition 0.
function recordingProducer(failWith?: ApiError) {
  const sent: OutgoingMessage[] = [];
  const producer: EventProducer = {
    async send(messages) {
      if (failWith) throw failWith;
      const first = sent.length;
      sent.push(...messages);
      return messages.map(
        (message, index): Delivery => ({
          topic: message.topic,
          partition: 0,
          offset: String(first + index),
        }),
      );
    },
    async stop() {},
  };
  return { producer, sent };
}

async function eventsApp(env: Record<string, string> = {}, failWith?: ApiError) {
  const config = loadConfig({
    JWT_SECRET: "r".repeat(32),
    RATE_LIMIT_EVENTS_MAX: "0",
    KAFKA_ALLOWED_TOPICS: "audit",
    EVENTS_MAX_BATCH: "5",
    EVENTS_MAX_BODY_BYTES: "4096",
    ...env,
  });
  const { producer, sent } = recordingProducer(failWith);
  const app = await appWithoutBackends(config, { producer });
  const token = await tokenFor(config, "ingest");
  const post = (path: string, body: string, type = "application/json") =>
    app.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": type },
      body,
    });
  return { app, sent, post, config };
}

const json = (value: unknown) => JSON.stringify(value);

describe("POST /api/kafka/produce", () => {
  test("the seed shape gets the seed status plus topic, partition and offset", async () => {
    const { post, sent } = await eventsApp();
    const res = await post("/api/kafka/produce", json({ topic: "analytics-data", message: "hi" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "Message sent",
      topic: "analytics-data",
      partition: 0,
      offset: "0",
    });
    expect(sent).toEqual([{ topic: "analytics-data", value: "hi", key: null, headers: undefined }]);
  });

  test("a JSON message is sent as its JSON text; key and headers go along", async () => {
    const { post, sent } = await eventsApp();
    const body = { message: { a: [1, 2] }, key: "k", headers: { source: "unit" } };
    expect((await post("/api/kafka/produce", json(body))).status).toBe(200);
    expect(sent[0]).toEqual({
      topic: "analytics-data",
      value: '{"a":[1,2]}',
      key: "k",
      headers: { source: "unit" },
    });
  });

  test("a messages array is answered with one placement per message, in order", async () => {
    const { post } = await eventsApp();
    const body = { topic: "audit", messages: [{ message: "a" }, { message: "b", key: "x" }] };
    const res = await post("/api/kafka/produce", json(body));
    expect(await res.json()).toEqual({
      status: "Messages sent",
      topic: "audit",
      count: 2,
      deliveries: [
        { partition: 0, offset: "0" },
        { partition: 0, offset: "1" },
      ],
    });
  });

  test("topics outside the allow-list and internal topics are refused with 403", async () => {
    const { post, sent } = await eventsApp();
    const other = await post("/api/kafka/produce", json({ topic: "payments", message: "x" }));
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: "forbidden" });
    const internal = await post(
      "/api/kafka/produce",
      json({ topic: "__consumer_offsets", message: "x" }),
    );
    expect(internal.status).toBe(403);
    expect(sent).toHaveLength(0);
  });

  test("internal topics cannot even be listed in the allow-list", () => {
    expect(() =>
      loadConfig({ JWT_SECRET: "r".repeat(32), KAFKA_ALLOWED_TOPICS: "__consumer_offsets" }),
    ).toThrow(/KAFKA_ALLOWED_TOPICS/);
  });

  test("wrong shapes are 400s that say what is wrong, and nothing is sent", async () => {
    const { post, sent } = await eventsApp();
    const cases = [
      {},
      { message: null },
      { message: "a", messages: [{ message: "b" }] },
      { messages: [] },
      { messages: [{ message: "a" }], key: "k" },
      { message: "a", headers: { n: 1 } },
      { message: "a", topic: "bad topic!" },
      { message: "a", extra: 1 },
    ];
    for (const body of cases) {
      const res = await post("/api/kafka/produce", json(body));
      expect(res.status).toBe(400);
      const reply = (await res.json()) as { code: string; error: string };
      expect(reply.code).toBe("validation_failed");
      expect(reply.error.length).toBeGreaterThan(5);
    }
    expect(sent).toHaveLength(0);
  });

  test("broken JSON is a 400, another content type a 415, a huge body a 413", async () => {
    const { post } = await eventsApp();
    expect((await post("/api/kafka/produce", '{"message":')).status).toBe(400);
    expect((await post("/api/kafka/produce", "message=x", "text/plain")).status).toBe(415);
    const huge = await post("/api/kafka/produce", json({ message: "x".repeat(10_000) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ code: "payload_too_large" });
  });

  test("more messages than EVENTS_MAX_BATCH is a 413", async () => {
    const { post } = await eventsApp();
    const messages = Array.from({ length: 6 }, () => ({ message: "m" }));
    expect((await post("/api/kafka/produce", json({ messages }))).status).toBe(413);
  });

  test("a Kafka that does not acknowledge is a 503 with the stable code", async () => {
    const down = new ApiError("backend_unavailable", "Kafka did not acknowledge the write");
    const { post } = await eventsApp({}, down);
    const res = await post("/api/kafka/produce", json({ message: "x" }));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: "backend_unavailable" });
  });

  test("only admin and ingest may produce", async () => {
    const { app, config } = await eventsApp();
    const token = await tokenFor(config, "user");
    const res = await app.request("/api/kafka/produce", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: json({ message: "x" }),
    });
    expect(res.status).toBe(403);
  });
});

describe("POST /api/events", () => {
  const event = (name: string) => ({ event: name, timestamp: "2024-05-01T12:00:00Z" });

  test("valid events are sent; invalid ones are reported by position with the reason", async () => {
    const { post, sent } = await eventsApp();
    const body = [event("a"), { event: "" }, event("c"), { event: "d", timestamp: "soon" }];
    const res = await post("/api/events", json(body));
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { accepted: number; rejected: number; errors: unknown[] };
    expect(reply).toMatchObject({ topic: "analytics-data", accepted: 2, rejected: 2 });
    expect(reply.errors).toEqual([
      { index: 1, error: "event: must not be empty" },
      { index: 3, error: expect.stringMatching(/^timestamp:/) },
    ]);
    // One request's events travel together, one JSON object per line, marked as such.
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers).toEqual({ [eventLines.header]: eventLines.type });
    const lines = String(sent[0]?.value).split("\n");
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(["a", "c"]);
  });

  test("a batch is split into messages of EVENTS_PER_MESSAGE events, in order", async () => {
    const { post, sent } = await eventsApp({ EVENTS_PER_MESSAGE: "2" });
    const names = ["a", "b", "c", "d", "e"];
    const res = await post("/api/events", json(names.map(event)));
    expect(await res.json()).toMatchObject({ accepted: 5, rejected: 0 });
    const messages = sent.map((message) => String(message.value).split("\n"));
    expect(messages.map((lines) => lines.length)).toEqual([2, 2, 1]);
    expect(messages.flat().map((line) => JSON.parse(line).event)).toEqual(names);
  });

  test("a message stays under Kafka's size limit counted in UTF-8 bytes; a larger event is refused", async () => {
    const { post, sent } = await eventsApp({
      EVENTS_MAX_BATCH: "10",
      EVENTS_MAX_BODY_BYTES: "4000000",
    });
    // "é" is one UTF-16 unit and two UTF-8 bytes: 400,000 of them are 800,000 bytes.
    const large = (name: string, units: number) => ({
      ...event(name),
      data: { s: "é".repeat(units) },
    });
    const body = [
      event("a"),
      large("big1", 400_000),
      event("b"),
      large("huge", 600_000),
      large("big2", 400_000),
      event("c"),
    ];
    const res = await post("/api/events", json(body));
    expect(await res.json()).toMatchObject({
      accepted: 5,
      rejected: 1,
      errors: [{ index: 3, error: expect.stringMatching(/^event is larger than \d+ bytes$/) }],
    });
    const messages = sent.map((message) => String(message.value).split("\n"));
    expect(messages.map((lines) => lines.map((line) => JSON.parse(line).event))).toEqual([
      ["a", "big1", "b"],
      ["big2", "c"],
    ]);
    for (const message of sent)
      expect((message.value as Buffer).byteLength).toBeLessThan(maxMessageBytes);
  });

  test("NDJSON works the same and names the line of each problem", async () => {
    const { post, sent } = await eventsApp();
    const body = `${json(event("a"))}\nnot json\n\n${json({ event: 1 })}\n`;
    const res = await post("/api/events", body, "application/x-ndjson");
    expect(await res.json()).toEqual({
      topic: "analytics-data",
      accepted: 1,
      rejected: 2,
      errors: [
        { index: 1, line: 2, error: "line is not valid JSON" },
        { index: 2, line: 4, error: "event: must be a string" },
      ],
    });
    expect(sent).toHaveLength(1);
  });

  test("a batch with no valid event is a 400 listing every problem", async () => {
    const { post, sent } = await eventsApp();
    const res = await post("/api/events", json([{ event: "" }, {}]));
    expect(res.status).toBe(400);
    const reply = (await res.json()) as { code: string; error: string; details: unknown[] };
    expect(reply.code).toBe("validation_failed");
    expect(reply.error).toContain("event 0");
    expect(reply.details).toHaveLength(2);
    expect(sent).toHaveLength(0);
  });

  test("limits: too many events or too many bytes are 413s; other types 415", async () => {
    const { post } = await eventsApp();
    const six = Array.from({ length: 6 }, () => event("a"));
    const many = await post("/api/events", json(six));
    expect(many.status).toBe(413);
    expect(await many.json()).toMatchObject({ error: "A batch may hold at most 5 events" });
    const big = await post("/api/events", json([{ event: "a", data: { s: "x".repeat(5000) } }]));
    expect(big.status).toBe(413);
    expect((await post("/api/events", "a,b", "text/csv")).status).toBe(415);
  });

  test("hostile input (deep nesting, SQL in names) is data or a clean 400, not a 500", async () => {
    const { post, sent } = await eventsApp({ EVENTS_MAX_BODY_BYTES: "200000" });
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const nested = await post("/api/events", deep);
    expect([400, 413]).toContain(nested.status);
    const deepData = await post("/api/events", `[{"event":"a","data":{"x":${deep}}}]`);
    expect(deepData.status).toBe(400);
    expect(await deepData.json()).toMatchObject({ error: expect.stringContaining("too deeply") });
    const deepMessage = await post("/api/kafka/produce", `{"message":${deep}}`);
    expect([400, 413]).toContain(deepMessage.status);
    const sql = await post("/api/events", json([{ event: "x'); DROP TABLE events; --" }]));
    expect(sql.status).toBe(200);
    expect(JSON.parse(String(sent[0]?.value)).event).toBe("x'); DROP TABLE events; --");
  });
});
