import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { allStored, eventsOnPrivateKafka, storedIds } from "../support/events";
import { tokenFor } from "../support/identity";
import { spawnServe, usersFolder } from "../support/serve";
import { eventually, testEnv } from "../support/stack";

interface Refusal {
  status: number;
  code?: string;
}

describe("Kafka goes away while events flow", () => {
  let users: Awaited<ReturnType<typeof usersFolder>>;
  let setup: Awaited<ReturnType<typeof eventsOnPrivateKafka>>;

  beforeAll(async () => {
    setup = await eventsOnPrivateKafka("kafka-outage", {
      env: {
        SINK_RETRY_MAX_MS: "1000",
        KAFKA_PRODUCE_TIMEOUT_MS: "2000",
        HEALTH_TIMEOUT_MS: "1500",
        RATE_LIMIT_EVENTS_MAX: "0",
      },
    });
    users = await usersFolder();
  }, 180_000);
  afterAll(async () => {
    await setup?.close();
    await users?.remove();
  });

  test("posts get a clear 503 while it is gone; the sink picks up again and every 200 is stored", async () => {
    const { kafka, overrides, config, backends } = setup;
    const served = spawnServe({ ...testEnv(overrides), USERS_FILE: users.usersFile }, users.dir);
    const url = await served.listening();
    try {
      const token = await tokenFor(config, "ingest");
      const acknowledged = new Set<string>();
      const refusals: Refusal[] = [];
      let flowing = true;
      const writer = (async () => {
        for (let round = 0; flowing; round++) {
          const ids = Array.from({ length: 20 }, (_, index) => `${round}-${index}`);
          const res = await fetch(`${url}/api/events`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(ids.map((id) => ({ event: "kafka-outage", data: { id } }))),
            signal: AbortSignal.timeout(30_000),
          });
          if (res.status === 200) {
            for (const id of ids) acknowledged.add(id);
          } else {
            const body = (await res.json().catch(() => ({}))) as { code?: string };
            refusals.push({ status: res.status, code: body.code });
          }
          await Bun.sleep(20);
        }
      })();
      const stored = () => storedIds(backends.clickhouse, config.clickhouse.database);

      await eventually(async () => acknowledged.size >= 400 && (await stored()).size > 0, {
        timeoutMs: 60_000,
        what: "events flowing into ClickHouse",
      });

      await kafka.stop();
      await eventually(() => refusals.length >= 3, {
        timeoutMs: 60_000,
        what: "posts refused while Kafka is down",
      });
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { kafka: { status: string } }).kafka.status).toBe("down");

      await kafka.start();
      const beforeReturn = acknowledged.size;
      await eventually(() => acknowledged.size >= beforeReturn + 400, {
        timeoutMs: 120_000,
        intervalMs: 500,
        what: "posts accepted again once Kafka is back",
      });
      flowing = false;
      await writer;

      // Every event that got a 200, before, around and after the outage, reaches ClickHouse.
      const ids = await allStored(
        backends.clickhouse,
        config.clickhouse.database,
        acknowledged,
        120_000,
      );
      const sinkLines = served.out.lines.filter((line) => line.includes('"msg":"sink '));
      console.log(
        `kafka outage: acknowledged=${acknowledged.size} refused=${refusals.length}` +
          ` stored=${ids.size} sink=${[...new Set(sinkLines.map((l) => JSON.parse(l).msg))].join(",")}`,
      );
      expect([...acknowledged].filter((id) => ids.has(id)).length).toBe(acknowledged.size);
      // A refusal is always the same clear answer, never a hang or a 500.
      expect(refusals.length).toBeGreaterThanOrEqual(3);
      for (const refusal of refusals) {
        expect(refusal).toEqual({ status: 503, code: "backend_unavailable" });
      }
      // The process rode it out: it is still up, and stops cleanly.
      expect(served.child.exitCode).toBeNull();
      served.child.kill("SIGTERM");
      expect(await served.child.exited).toBe(0);
    } finally {
      served.child.kill("SIGKILL");
    }
  }, 360_000);
});
