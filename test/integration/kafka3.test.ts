import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { buildBinary, lineReader } from "../support/binary";
import { allStored, eventsOnPrivateKafka, headerMap, kcatRead } from "../support/events";
import { tokenFor } from "../support/identity";
import { kafka3Libs } from "../support/private-kafka";
import { usersFolder } from "../support/serve";
import { testEnv } from "../support/stack";

/**
 * The contract names Kafka 3.x beside 4.x. The compiled executable (with its own Produce request
 * writer) against a 3.9 broker in KRaft mode: topics, produce with key and headers, events, the
 * sink's consumer group and health.
 */
describe("on a Kafka 3.x broker", () => {
  let users: Awaited<ReturnType<typeof usersFolder>>;
  let binary = "";
  let setup: Awaited<ReturnType<typeof eventsOnPrivateKafka>>;

  beforeAll(async () => {
    [setup, binary, users] = await Promise.all([
      eventsOnPrivateKafka("kafka3", { libs: kafka3Libs }),
      buildBinary(),
      usersFolder(),
    ]);
  }, 180_000);
  afterAll(async () => {
    await setup?.close();
    await users?.remove();
    if (binary) await rm(dirname(binary), { recursive: true, force: true });
  });

  test("the executable produces, takes events and sinks them as on 4.x", async () => {
    const { kafka, overrides, config, backends } = setup;
    // The broker really is a 3.x one.
    expect((await readdir(kafka3Libs)).filter((jar) => /^kafka_2\.13-3\./.test(jar))).toHaveLength(
      1,
    );
    const child = Bun.spawn([binary, "serve"], {
      env: { PATH: "/usr/bin:/bin", ...testEnv(overrides), USERS_FILE: users.usersFile },
      cwd: users.dir,
      stdout: "pipe",
    });
    try {
      const out = lineReader(child.stdout);
      const { url } = JSON.parse(await out.waitFor((line) => line.includes('"listening"')));
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const token = await tokenFor(config, "ingest");
      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });

      // A raw message with key and headers, read back by kcat from the 3.x broker.
      const message = { event: "kafka3-produce", data: { id: "produced" } };
      const produced = await post("/api/kafka/produce", {
        message,
        key: "user-3",
        headers: { source: "kafka3" },
      });
      expect(produced.status).toBe(200);
      const placement = (await produced.json()) as { partition: number; offset: string };
      const [record] = kcatRead(config.kafka.topic, {
        brokers: kafka.brokers,
        partition: placement.partition,
        offset: Number(placement.offset),
        count: 1,
      });
      expect(record?.key).toBe("user-3");
      expect(record && headerMap(record)).toEqual({ source: "kafka3" });
      expect(JSON.parse(record?.payload ?? "null")).toEqual(message);

      // Events, packed several to a message, then stored by the sink's consumer group.
      const ids = new Set(Array.from({ length: 250 }, (_, i) => `event-${i}`));
      const events = [...ids].map((id) => ({ event: "kafka3", data: { id } }));
      const posted = await post("/api/events", events);
      expect(((await posted.json()) as { accepted: number }).accepted).toBe(250);
      ids.add("produced");
      const stored = await allStored(backends.clickhouse, config.clickhouse.database, ids, 60_000);
      expect(stored.size).toBe(ids.size);

      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);
});
