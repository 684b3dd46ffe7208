import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/logger";
import { createSink, type Sink } from "../../src/sink/sink";
import { appOnRealBackends } from "../support/app";
import { allStored, dropEvents, migrateEvents, storedIds } from "../support/events";
import { tokenFor } from "../support/identity";
import { privateClickHouse } from "../support/private-clickhouse";
import { eventually, runId, testConfig } from "../support/stack";

describe("ClickHouse goes away while events flow", () => {
  let clickhouse: Awaited<ReturnType<typeof privateClickHouse>>;
  let live: Awaited<ReturnType<typeof appOnRealBackends>>;
  let sink: Sink;
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    clickhouse = await privateClickHouse();
    config = testConfig({
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: `test_${runId}_outage`,
      KAFKA_TOPIC: `test-${runId}-outage`,
      SINK_GROUP_ID: `test-${runId}-outage`,
      SINK_BATCH_SIZE: "100",
      SINK_BATCH_MAX_WAIT_MS: "300",
      SINK_RETRY_MAX_MS: "1000",
      RATE_LIMIT_EVENTS_MAX: "0",
    });
    live = await appOnRealBackends(config);
    await migrateEvents(config, live);
    const logger = createLogger("debug", (line) => live.logs.push(JSON.parse(line)));
    sink = createSink({ ...live, config, logger });
    await sink.start();
  });
  afterAll(async () => {
    await sink?.stop();
    await dropEvents(config, live);
    await live?.close();
    await clickhouse?.close();
  });

  const storedNow = () => storedIds(live.clickhouse, config.clickhouse.database);

  test("the sink pauses, retries, and all acknowledged events arrive once it is back", async () => {
    const token = await tokenFor(config, "ingest");
    const acknowledged = new Set<string>();
    let flowing = true;
    const writer = (async () => {
      for (let round = 0; flowing; round++) {
        const ids = Array.from({ length: 20 }, (_, index) => `${round}-${index}`);
        const res = await live.app.request("/api/events", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(ids.map((id) => ({ event: "outage-test", data: { id } }))),
        });
        if (res.status === 200) for (const id of ids) acknowledged.add(id);
        await Bun.sleep(20);
      }
    })();

    await eventually(async () => (await storedNow()).size >= 200, { what: "rows flowing" });
    await clickhouse.stop();
    const ackedAtStop = acknowledged.size;

    // At least three failed attempts: the outage spans several backoff rounds, not one blip.
    const paused = () =>
      live.logs.some(
        (line) => line.msg === "sink paused" && line.step === "insert" && Number(line.attempt) >= 3,
      );
    await eventually(() => paused() && acknowledged.size >= ackedAtStop + 400, {
      timeoutMs: 30_000,
      what: "the sink paused while events keep being acknowledged",
    });
    await clickhouse.start();
    await Bun.sleep(500);
    flowing = false;
    await writer;

    const ids = await allStored(live.clickhouse, config.clickhouse.database, acknowledged, 60_000);
    const stored = [...acknowledged].filter((id) => ids.has(id)).length;
    console.log(
      `outage test: acknowledged=${acknowledged.size} stored=${stored}` +
        ` acknowledged_while_down=${acknowledged.size - ackedAtStop}`,
    );
    expect(stored).toBe(acknowledged.size);
    const failed = await live.metrics.sinkBatches.get();
    expect(failed.values.find((value) => value.labels.outcome === "failed")?.value).toBeGreaterThan(
      0,
    );
  }, 120_000);
});
