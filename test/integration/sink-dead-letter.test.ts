import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/logger";
import { deadLetterHeaders } from "../../src/sink/dead-letters";
import { createSink } from "../../src/sink/sink";
import { appOnRealBackends } from "../support/app";
import {
  committedAll,
  dropEvents,
  headerMap,
  kcatRead,
  migrateEvents,
  storedEvents,
} from "../support/events";
import { backendEnv, eventually, runId, testConfig } from "../support/stack";

/** Writes one message with kcat, so the poison does not pass through this API's validation. */
function kcatWrite(topic: string, value: string, key: string) {
  const run = Bun.spawnSync(
    [
      "kcat",
      "-b",
      backendEnv.KAFKA_BROKERS,
      "-P",
      "-t",
      topic,
      "-p",
      "0",
      "-k",
      key,
      "-H",
      "source=kcat",
    ],
    { stdin: new TextEncoder().encode(value), stderr: "pipe", timeout: 30_000 },
  );
  if (run.exitCode !== 0) throw new Error(`kcat failed: ${run.stderr.toString()}`);
}

describe("a message that can never be inserted", () => {
  const config = testConfig({
    CLICKHOUSE_DATABASE: `test_${runId}_dlq`,
    KAFKA_TOPIC: `test-${runId}-dlq-events`,
    SINK_DLQ_TOPIC: `test-${runId}-dlq-events-dead`,
    SINK_GROUP_ID: `test-${runId}-dlq`,
    SINK_BATCH_MAX_WAIT_MS: "200",
  });
  let live: Awaited<ReturnType<typeof appOnRealBackends>>;
  const newSink = () =>
    createSink({
      ...live,
      config,
      logger: createLogger("debug", (line) => live.logs.push(JSON.parse(line))),
    });

  beforeAll(async () => {
    live = await appOnRealBackends(config);
    await migrateEvents(config, live);
  });
  afterAll(async () => {
    await dropEvents(config, live);
    await live.close();
  });

  test("lands in the dead-letter topic with its reason; the good ones are stored", async () => {
    kcatWrite(config.kafka.topic, "not json{", "poison-1");
    kcatWrite(config.kafka.topic, '{"event":"","timestamp":"2024-03-01T00:00:00Z"}', "poison-2");
    kcatWrite(config.kafka.topic, '{"event":"ok","timestamp":"2024-03-01T00:00:00Z"}', "good");

    const sink = newSink();
    await sink.start();
    try {
      const letters = await eventually(
        () => {
          const found = kcatRead(config.sink.deadLetterTopic);
          return found.length === 2 ? found : undefined;
        },
        { timeoutMs: 30_000, what: "two dead letters" },
      );
      const byKey = new Map(letters.map((letter) => [letter.key, letter]));
      const first = byKey.get("poison-1");
      expect(first?.payload).toBe("not json{");
      expect(first && headerMap(first)).toMatchObject({
        source: "kcat",
        [deadLetterHeaders.reason]: "value is not valid JSON",
        [deadLetterHeaders.topic]: config.kafka.topic,
        [deadLetterHeaders.partition]: "0",
        [deadLetterHeaders.offset]: "0",
      });
      const second = byKey.get("poison-2");
      expect(second && headerMap(second)[deadLetterHeaders.reason]).toBe(
        "invalid event: event: must not be empty",
      );

      const rows = await eventually(async () => {
        const found = await storedEvents(live.clickhouse, config.clickhouse.database);
        return found.length === 1 ? found : undefined;
      });
      expect(rows[0]?.event).toBe("ok");
      // Counted once Kafka acknowledged them, which may come after kcat already sees them.
      await eventually(
        async () => (await live.metrics.sinkDeadLetters.get()).values[0]?.value === 2,
      );
    } finally {
      await sink.stop();
    }
  }, 60_000);

  test("the poison's offset was committed: a restarted sink does not send it again", async () => {
    kcatWrite(config.kafka.topic, '{"event":"after-restart"}', "later");
    const sink = newSink();
    await sink.start();
    try {
      await eventually(async () => {
        const rows = await storedEvents(live.clickhouse, config.clickhouse.database);
        return rows.length === 2;
      });
      await eventually(() => committedAll(live.kafka, config.sink.groupId, config.kafka.topic));
      expect(kcatRead(config.sink.deadLetterTopic)).toHaveLength(2);
    } finally {
      await sink.stop();
    }
  }, 60_000);
});

describe("a row that ClickHouse itself refuses", () => {
  const config = testConfig({
    CLICKHOUSE_DATABASE: `test_${runId}_refused`,
    KAFKA_TOPIC: `test-${runId}-refused`,
    SINK_GROUP_ID: `test-${runId}-refused`,
    SINK_BATCH_MAX_WAIT_MS: "200",
  });
  let live: Awaited<ReturnType<typeof appOnRealBackends>>;

  beforeAll(async () => {
    live = await appOnRealBackends(config);
    const database = `\`${config.clickhouse.database}\``;
    // The events table with a deliberately narrow event column, so that a valid event can still
    // be refused by ClickHouse (code 131) and the sink has to isolate it.
    await live.clickhouse.command(`CREATE DATABASE ${database}`, { database: "" });
    await live.clickhouse.command(
      `CREATE TABLE ${database}.events (event FixedString(8), timestamp DateTime,
        timestamp_ms UInt64, data String, received_at DateTime, kafka_partition UInt32,
        kafka_offset UInt64, kafka_index UInt32) ENGINE = MergeTree()
        ORDER BY (kafka_partition, kafka_offset)`,
      { database: "" },
    );
    await live.kafka.ensureTopics([
      { topic: config.kafka.topic, partitions: 1 },
      { topic: config.sink.deadLetterTopic, partitions: 1 },
    ]);
  });
  afterAll(async () => {
    await dropEvents(config, live);
    await live.close();
  });

  test("is isolated from its batch and dead-lettered; the rest of it is stored", async () => {
    const names = ["a", "b", "c", "much-too-long-for-the-column", "e", "f", "g", "h"];
    await live.producer.send(
      names.map((event) => ({ topic: config.kafka.topic, value: JSON.stringify({ event }) })),
    );
    const sink = createSink({
      ...live,
      config,
      logger: createLogger("debug", (line) => live.logs.push(JSON.parse(line))),
    });
    await sink.start();
    try {
      const [letter] = await eventually(
        () => {
          const found = kcatRead(config.sink.deadLetterTopic);
          return found.length === 1 ? found : undefined;
        },
        { timeoutMs: 30_000, what: "one dead letter" },
      );
      expect(JSON.parse(letter?.payload ?? "{}").event).toBe("much-too-long-for-the-column");
      expect(letter && headerMap(letter)[deadLetterHeaders.reason]).toStartWith(
        "clickhouse refused the row: Code: 131",
      );
      const rows = await live.clickhouse.client.query({
        query: `SELECT event AS name FROM \`${config.clickhouse.database}\`.events`,
        format: "JSONEachRow",
      });
      // FixedString pads with NUL bytes.
      const stored = ((await rows.json()) as { name: string }[]).map((row) =>
        row.name.replace(/\0+$/, ""),
      );
      expect(stored.toSorted()).toEqual(["a", "b", "c", "e", "f", "g", "h"]);
    } finally {
      await sink.stop();
    }
  }, 60_000);
});
