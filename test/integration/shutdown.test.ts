import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tokenFor } from "../support/identity";
import { spawnServe, usersFolder } from "../support/serve";
import { eventually, realBackends, runId, testConfig, testEnv } from "../support/stack";

/** A port that accepts connections and never answers: a backend that hangs. */
function blackhole() {
  const sockets = new Set<{ end(): void }>();
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (socket) => void sockets.add(socket),
      data: () => {},
      close: (socket) => void sockets.delete(socket),
    },
  });
  return {
    port: listener.port,
    connections: () => sockets.size,
    close: () => {
      for (const socket of sockets) socket.end();
      listener.stop(true);
    },
  };
}

/** Every message value on `topic`, read by an independent client. */
async function topicValues(brokers: string, topic: string): Promise<string[]> {
  const kcat = Bun.spawn(["kcat", "-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q"]);
  const text = await new Response(kcat.stdout).text();
  await kcat.exited;
  return text.split("\n").filter(Boolean);
}

describe("graceful shutdown", () => {
  const topic = `test-${runId}-shutdown`;
  const config = testConfig({ KAFKA_TOPIC: topic });
  const { kafka } = realBackends(config);
  const folder = usersFolder();
  const hole = blackhole();
  beforeAll(() => kafka.ensureTopics([{ topic, partitions: 1 }]));
  afterAll(async () => {
    hole.close();
    await (await folder).remove();
    const admin = kafka.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).finally(() => admin.disconnect());
    await kafka.close();
  });

  test("SIGTERM: in-flight requests finish, the producer flushes, exit 0 in time", async () => {
    const healthTimeoutMs = 3_000;
    const shutdownTimeoutMs = 20_000;
    const { dir, usersFile } = await folder;
    const server = spawnServe(
      testEnv({
        USERS_FILE: usersFile,
        KAFKA_TOPIC: topic,
        // Messages wait this long in the producer, so some are queued when the signal comes.
        KAFKA_LINGER_MS: "1000",
        LOG_LEVEL: "info",
        ENABLE_SINK: "false",
        // ClickHouse hangs, so each readiness check takes the full health timeout.
        CLICKHOUSE_URL: `http://127.0.0.1:${hole.port}`,
        HEALTH_TIMEOUT_MS: String(healthTimeoutMs),
        SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      }),
      dir,
    );
    try {
      const url = await server.listening();
      const admin = { authorization: `Bearer ${await tokenFor(config, "admin")}` };
      const sent = Array.from({ length: 5 }, (_, i) => `shutdown-${runId}-${i}`);
      const produced = sent.map((message) =>
        fetch(`${url}/api/kafka/produce`, {
          method: "POST",
          headers: { ...admin, "content-type": "application/json" },
          body: JSON.stringify({ message }),
        }).then((res) => res.status),
      );
      const checks = 5;
      const replies = Array.from({ length: checks }, () =>
        fetch(`${url}/health/ready`).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as { status: string; clickhouse: { status: string } },
        })),
      );
      // Every request is inside the server, waiting on the backend, before the signal.
      await eventually(() => hole.connections() >= checks, { what: "requests in flight" });

      const signalledAt = Date.now();
      server.child.kill("SIGTERM");
      await server.out.waitFor((line) => line.includes('"msg":"stopping"'));
      await expect(fetch(`${url}/health/live`)).rejects.toThrow();

      expect(await Promise.all(produced)).toEqual([200, 200, 200, 200, 200]);
      const settled = await Promise.all(replies);
      expect(settled.map((reply) => reply.status)).toEqual(Array(checks).fill(503));
      expect(settled.map((reply) => reply.body.clickhouse.status)).toEqual(
        Array(checks).fill("down"),
      );

      expect(await server.child.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(shutdownTimeoutMs);

      const records = server.out.lines.filter(Boolean).map((line) => JSON.parse(line));
      const stopping = records.find((record) => record.msg === "stopping");
      expect(stopping?.reason).toBe("SIGTERM");
      expect(stopping?.inFlight).toBe(checks + sent.length);
      const order = records.map((record) => record.msg);
      expect(order.indexOf("producer flushed")).toBeGreaterThan(order.lastIndexOf("request"));
      expect(order.indexOf("stopped")).toBeGreaterThan(order.indexOf("producer flushed"));
      expect(records.filter((record) => record.msg === "request")).toHaveLength(
        checks + sent.length,
      );

      const stored = await topicValues(config.kafka.brokers.join(","), topic);
      expect(stored.toSorted()).toEqual(sent.toSorted());
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 60_000);
});
