import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dropEvents, migrateEvents, storedEvents } from "../support/events";
import { tokenFor } from "../support/identity";
import { spawnServe, usersFolder } from "../support/serve";
import { eventually, realBackends, runId, testConfig, testEnv } from "../support/stack";

describe("a hard kill in the middle of a stream", () => {
  const overrides = {
    CLICKHOUSE_DATABASE: `test_${runId}_crash`,
    KAFKA_TOPIC: `test-${runId}-crash`,
    SINK_GROUP_ID: `test-${runId}-crash`,
    SINK_BATCH_MAX_WAIT_MS: "400",
    RATE_LIMIT_MAX: "0",
    LOG_LEVEL: "info",
  };
  const config = testConfig(overrides);
  const backends = realBackends(config);
  let users: Awaited<ReturnType<typeof usersFolder>>;

  beforeAll(async () => {
    await migrateEvents(config, backends);
    users = await usersFolder();
  });
  afterAll(async () => {
    await dropEvents(config, backends);
    await Promise.allSettled([backends.clickhouse.close(), backends.kafka.close()]);
    await users?.remove();
  });

  const spawnApi = async () => {
    const served = spawnServe({ ...testEnv(overrides), USERS_FILE: users.usersFile }, users.dir);
    return { child: served.child, url: await served.listening() };
  };

  test("every event that got a 200 is in ClickHouse after a restart", async () => {
    const token = await tokenFor(config, "ingest");
    const acknowledged = new Set<string>();
    let sent = 0;
    const first = await spawnApi();

    // Four writers post batches of 25 until the process under them dies.
    const writer = async (name: number) => {
      for (let round = 0; ; round++) {
        const ids = Array.from({ length: 25 }, (_, index) => `${name}-${round}-${index}`);
        const body = ids.map((id) => ({ event: "crash-test", data: { id } }));
        sent += ids.length;
        try {
          const res = await fetch(`${first.url}/api/events`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          if (res.status !== 200) return;
          for (const id of ids) acknowledged.add(id);
        } catch {
          return;
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));

    // Kill once some events are stored and more keep arriving, so the sink holds uncommitted work.
    await eventually(
      async () => {
        if (acknowledged.size < 1500) return false;
        return (await storedEvents(backends.clickhouse, config.clickhouse.database)).length > 0;
      },
      { timeoutMs: 60_000, what: "a stream in full flow" },
    );
    first.child.kill("SIGKILL");
    await first.child.exited;
    await writers;
    const storedAtKill = (await storedEvents(backends.clickhouse, config.clickhouse.database))
      .length;

    const second = await spawnApi();
    try {
      // The killed member holds its partitions until its session times out (SINK_SESSION_TIMEOUT_MS).
      const rows = await eventually(
        async () => {
          const found = await storedEvents(backends.clickhouse, config.clickhouse.database);
          const ids = new Set(found.map((row) => JSON.parse(row.data).id as string));
          return [...acknowledged].every((id) => ids.has(id)) ? found : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 1_000, what: "every acknowledged event stored" },
      );
      const ids = new Set(rows.map((row) => JSON.parse(row.data).id as string));
      const raw = await backends.clickhouse.client.query({
        query: `SELECT count() AS n FROM \`${config.clickhouse.database}\`.events`,
        format: "JSONEachRow",
      });
      const [{ n: rawRows } = { n: "0" }] = (await raw.json()) as { n: string }[];
      const stored = [...acknowledged].filter((id) => ids.has(id)).length;
      console.log(
        `crash test: acknowledged=${acknowledged.size} stored=${stored} sent=${sent}` +
          ` stored_at_kill=${storedAtKill} rows_final=${rows.length} rows_raw=${rawRows}`,
      );
      expect(stored).toBe(acknowledged.size);
      expect(rows.length).toBe(ids.size);

      second.child.kill("SIGTERM");
      expect(await second.child.exited).toBe(0);
    } finally {
      second.child.kill("SIGKILL");
    }
  }, 240_000);
});
