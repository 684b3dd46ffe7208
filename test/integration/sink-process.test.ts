import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { lineReader } from "../support/binary";
import { dropEvents, storedEvents } from "../support/events";
import { tokenFor } from "../support/identity";
import { spawnServe, usersFolder } from "../support/serve";
import { backendEnv, eventually, realBackends, runId, testConfig, testEnv } from "../support/stack";

const root = resolve(import.meta.dir, "../..");

/** Runs a command of the CLI from the sources with only the given environment. */
function cli(command: string, env: Record<string, string>) {
  return Bun.spawn([process.execPath, "src/main.ts", command], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

describe("API and sink as separate processes", () => {
  const overrides = {
    CLICKHOUSE_DATABASE: `test_${runId}_apart`,
    KAFKA_TOPIC: `test-${runId}-apart`,
    SINK_GROUP_ID: `test-${runId}-apart`,
    SINK_BATCH_MAX_WAIT_MS: "300",
    RATE_LIMIT_MAX: "0",
    LOG_LEVEL: "info",
  };
  const config = testConfig(overrides);
  const backends = realBackends(config);
  let users: Awaited<ReturnType<typeof usersFolder>>;

  beforeAll(async () => {
    users = await usersFolder();
  });
  afterAll(async () => {
    await dropEvents(config, backends);
    await Promise.allSettled([backends.clickhouse.close(), backends.kafka.close()]);
    await users?.remove();
  });

  test("migrate creates the table and both topics, and can run again", async () => {
    const { JWT_SECRET: _secret, ...env } = testEnv(overrides);
    for (let run = 0; run < 2; run++) {
      const migrate = cli("migrate", env);
      expect(await migrate.exited).toBe(0);
    }
    const database = config.clickhouse.database;
    const tables = await backends.clickhouse.client.query({
      query: `SELECT name, engine FROM system.tables WHERE database = '${database}'`,
      format: "JSONEachRow",
    });
    expect(await tables.json()).toEqual([{ name: "events", engine: "ReplacingMergeTree" }]);
    const metadata = Bun.spawnSync([
      "kcat",
      "-b",
      backendEnv.KAFKA_BROKERS,
      "-L",
    ]).stdout.toString();
    expect(metadata).toContain(`topic "${config.kafka.topic}" with 3 partitions`);
    expect(metadata).toContain(`topic "${config.sink.deadLetterTopic}" with 3 partitions`);
  }, 60_000);

  test("ENABLE_SINK=false serve only accepts; `sink` alone stores; both stop cleanly", async () => {
    const env = { ...testEnv(overrides), ENABLE_SINK: "false", USERS_FILE: users.usersFile };
    const api = spawnServe(env, users.dir);
    const sink = cli("sink", testEnv(overrides));
    const sinkOut = lineReader(sink.stdout);
    try {
      const url = await api.listening();
      const token = await tokenFor(config, "ingest");
      const batch = Array.from({ length: 100 }, (_, index) => ({
        event: "apart",
        data: { index },
      }));
      const res = await fetch(`${url}/api/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(batch),
      });
      expect(await res.json()).toMatchObject({ accepted: 100 });

      await eventually(
        async () =>
          (await storedEvents(backends.clickhouse, config.clickhouse.database)).length === 100,
        { timeoutMs: 30_000, what: "100 rows stored by the sink process" },
      );
      expect(api.out.lines.some((line) => line.includes('"sink started"'))).toBe(false);
      expect(sinkOut.lines.some((line) => line.includes('"sink started"'))).toBe(true);

      sink.kill("SIGTERM");
      expect(await sink.exited).toBe(0);
      const stopped = JSON.parse(await sinkOut.waitFor((line) => line.includes('"sink stopped"')));
      expect(stopped.uncommitted).toBe(0);
      api.child.kill("SIGTERM");
      expect(await api.child.exited).toBe(0);
    } finally {
      sink.kill("SIGKILL");
      api.child.kill("SIGKILL");
    }
  }, 60_000);
});
