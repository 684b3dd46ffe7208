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
});
