import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventLines } from "../../src/events/message";
import { createLogger } from "../../src/logger";
import { createSink, type Sink } from "../../src/sink/sink";
import { appOnRealBackends } from "../support/app";
import {
  committedAll,
  dropEvents,
  headerMap,
  kcatRead,
  migrateEvents,
  storedEvents,
} from "../support/events";
import { tokenFor } from "../support/identity";
import { eventually, runId, testConfig } from "../support/stack";

describe("events through the API into ClickHouse", () => {
  const config = testConfig({
    CLICKHOUSE_DATABASE: `test_${runId}_events`,
    KAFKA_TOPIC: `test-${runId}-events`,
    SINK_GROUP_ID: `test-${runId}-events`,
    SINK_BATCH_SIZE: "200",
    SINK_BATCH_MAX_WAIT_MS: "300",
    RATE_LIMIT_EVENTS_MAX: "0",
  });
  let live: Awaited<ReturnType<typeof appOnRealBackends>>;
  let sink: Sink;
  // The sink logs into the app's captured lines, so a failing test shows what it saw.
  const newSink = () =>
    createSink({
      ...live,
      config,
      logger: createLogger("debug", (line) => live.logs.push(JSON.parse(line))),
    });
  let post: (body: string, type?: string) => Promise<Response> | Response;

  beforeAll(async () => {
    live = await appOnRealBackends(config);
    await migrateEvents(config, live);
    sink = newSink();
    await sink.start();
    const token = await tokenFor(config, "ingest");
    post = (body, type = "application/json") =>
      live.app.request("/api/events", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": type },
        body,
      });
  });
  afterAll(async () => {
    await sink?.stop();
    await dropEvents(config, live);
    await live.close();
  });

  test("a JSON batch of 500 and an NDJSON batch become rows with the values sent", async () => {
    const batch = Array.from({ length: 500 }, (_, index) => ({
      event: index % 2 ? "page_view" : "click",
      timestamp: Date.UTC(2024, 0, 1) + index * 1000,
      data: { index, run: runId },
    }));
    const json = await post(JSON.stringify(batch));
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ accepted: 500, rejected: 0 });

    const lines = [
      { event: "signup", timestamp: "2024-02-29T23:59:59.250+01:00", data: { plan: "pro" } },
      { event: "signup" },
    ];
    const ndjson = await post(
      lines.map((line) => JSON.stringify(line)).join("\n"),
      "application/x-ndjson",
    );
    expect(await ndjson.json()).toMatchObject({ accepted: 2, rejected: 0 });

    const rows = await eventually(
      async () => {
        const found = await storedEvents(live.clickhouse, config.clickhouse.database);
        return found.length === 502 ? found : undefined;
      },
      { timeoutMs: 30_000, what: "502 rows in ClickHouse" },
    );
    const clicks = rows.filter((row) => row.event === "click");
    expect(clicks).toHaveLength(250);
    const tenth = rows.find((row) => row.data === JSON.stringify({ index: 10, run: runId }));
    expect(tenth).toMatchObject({
      event: "click",
      seconds: Date.UTC(2024, 0, 1) / 1000 + 10,
      timestamp_ms: String(Date.UTC(2024, 0, 1) + 10_000),
    });
    const signup = rows.find((row) => row.data === '{"plan":"pro"}');
    expect(signup?.timestamp_ms).toBe(String(Date.UTC(2024, 1, 29, 22, 59, 59, 250)));
    expect(new Set(rows.map((row) => row.kafka_partition)).size).toBe(3);
  }, 60_000);

  test("on the topic, kcat sees the events a hundred to a message, one per line", async () => {
    const records = kcatRead(config.kafka.topic);
    // 500 events in five messages, the NDJSON request's two in a sixth.
    expect(
      records.map((record) => record.payload?.split("\n").length ?? 0).toSorted((a, b) => a - b),
    ).toEqual([2, 100, 100, 100, 100, 100]);
    for (const record of records) {
      expect(headerMap(record)[eventLines.header]).toBe(eventLines.type);
    }
    const lines = records.flatMap((record) => record.payload?.split("\n") ?? []);
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.filter((event) => event.event === "click")).toHaveLength(250);
    expect(parsed[0]).toEqual({
      event: expect.any(String),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: expect.any(Object),
    });
  });

  test("a replay (a crash between insert and commit) is collapsed by the table", async () => {
    await sink.stop();
    const admin = live.kafka.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({
      groupId: config.sink.groupId,
      topic: config.kafka.topic,
      earliest: true,
    });
    await admin.disconnect();

    sink = newSink();
    await sink.start();
    await eventually(() => committedAll(live.kafka, config.sink.groupId, config.kafka.topic), {
      timeoutMs: 30_000,
      what: "the replay committed",
    });
    const database = config.clickhouse.database;
    expect(await storedEvents(live.clickhouse, database)).toHaveLength(502);
    await live.clickhouse.command(`OPTIMIZE TABLE \`${database}\`.events FINAL`);
    const raw = await live.clickhouse.client.query({
      query: `SELECT count() AS rows FROM \`${database}\`.events`,
      format: "JSONEachRow",
    });
    expect(await raw.json()).toEqual([{ rows: "502" }]);
  }, 60_000);

  test("the sink reports what it stored and catches up to no lag", async () => {
    await eventually(async () => (await live.metrics.sinkLag.get()).values[0]?.value === 0, {
      what: "sink lag back to 0",
    });
    const rows = await live.metrics.sinkRows.get();
    expect(rows.values[0]?.value).toBeGreaterThanOrEqual(502);
  }, 60_000);
});
