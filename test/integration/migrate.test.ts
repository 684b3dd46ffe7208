import { afterAll, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/logger";
import { migrate } from "../../src/migrate";
import { realBackends, runId, testConfig } from "../support/stack";

describe("migrate", () => {
  const config = testConfig({ CLICKHOUSE_DATABASE: `test_${runId}_migrate` });
  const backends = realBackends(config);
  const target = {
    database: config.clickhouse.database,
    topics: [`test-${runId}-migrate`],
    partitions: 3,
  };
  afterAll(async () => {
    await backends.clickhouse.command(`DROP DATABASE IF EXISTS ${target.database}`, {
      database: "",
    });
    await backends.clickhouse.close();
    await backends.kafka.close();
  });

  test("creates the database, the events table and the topic, and can run again", async () => {
    await migrate(target, backends, silentLogger);
    await migrate(target, backends, silentLogger);

    const result = await backends.clickhouse.client.query({
      query: `SELECT name, engine FROM system.tables WHERE database = '${target.database}'`,
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([{ name: "events", engine: "ReplacingMergeTree" }]);

    const admin = backends.kafka.kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: target.topics });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  test("an events table from before messages held several events gains the line index", async () => {
    const database = `${target.database}_old`;
    const run = (sql: string) => backends.clickhouse.command(sql, { database: "" });
    try {
      await run(`CREATE DATABASE ${database}`);
      await run(`CREATE TABLE ${database}.events (event String, timestamp DateTime,
        timestamp_ms UInt64, data String, received_at DateTime, kafka_partition UInt32,
        kafka_offset UInt64) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(timestamp)
        ORDER BY (event, timestamp, kafka_partition, kafka_offset)`);
      await run(`INSERT INTO ${database}.events VALUES ('old', 1714564800, 1714564800000, '{}',
        1714564800, 0, 7)`);

      await migrate({ ...target, database }, backends, silentLogger);
      await migrate({ ...target, database }, backends, silentLogger);

      // Two events of one message, same name and second, differ only in their line: both stay.
      await run(`INSERT INTO ${database}.events VALUES
        ('pair', 1714564800, 1714564800000, '{}', 1714564800, 0, 8, 0),
        ('pair', 1714564800, 1714564800000, '{}', 1714564800, 0, 8, 1)`);
      await run(`OPTIMIZE TABLE ${database}.events FINAL`);
      const rows = await backends.clickhouse.client.query({
        query: `SELECT event, kafka_offset, kafka_index FROM ${database}.events
          ORDER BY kafka_offset, kafka_index`,
        format: "JSONEachRow",
      });
      expect(await rows.json()).toEqual([
        { event: "old", kafka_offset: "7", kafka_index: 0 },
        { event: "pair", kafka_offset: "8", kafka_index: 0 },
        { event: "pair", kafka_offset: "8", kafka_index: 1 },
      ]);
    } finally {
      await run(`DROP DATABASE IF EXISTS ${database}`);
    }
  });
});
