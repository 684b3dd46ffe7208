import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { buildBinary, lineReader } from "../support/binary";
import { dropEvents } from "../support/events";
import { eventually, realBackends, runId, testConfig, testEnv, testSecret } from "../support/stack";

describe("the compiled executable", () => {
  let binary = "";
  beforeAll(async () => {
    binary = await buildBinary();
  });
  const overrides = {
    KAFKA_TOPIC: `test-${runId}-binary`,
    CLICKHOUSE_DATABASE: `test_${runId}_binary`,
  };
  const backends = realBackends(testConfig(overrides));
  afterAll(async () => {
    if (binary) await rm(dirname(binary), { recursive: true, force: true });
    await dropEvents(testConfig(overrides), backends);
    await Promise.allSettled([backends.clickhouse.close(), backends.kafka.close()]);
  });

  // Only PATH is inherited: the binary must need no runtime, no node_modules, no repository.
  const bareEnv = (extra: Record<string, string>) => ({ PATH: "/usr/bin:/bin", ...extra });

  test("--version and --help answer without any configuration", () => {
    const version = Bun.spawnSync([binary, "--version"], { env: bareEnv({}) });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = Bun.spawnSync([binary, "--help"], { env: bareEnv({}) });
    expect(help.stdout.toString()).toContain("hash-password");
  });

  test("a missing secret stops it with one line naming the variable", () => {
    const run = Bun.spawnSync([binary, "serve"], { env: bareEnv({}), cwd: dirname(binary) });
    expect(run.exitCode).toBe(1);
    const stderr = run.stderr.toString().trim();
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toContain("JWT_SECRET");
  });

  test("migrate creates the topic, seen by an independent client (kcat)", async () => {
    const topic = overrides.KAFKA_TOPIC;
    const { JWT_SECRET: _secret, ...env } = testEnv(overrides);
    const run = Bun.spawn([binary, "migrate"], { env: bareEnv(env), cwd: dirname(binary) });
    expect(await run.exited).toBe(0);
    const metadata = Bun.spawnSync(["kcat", "-b", env.KAFKA_BROKERS ?? "", "-L", "-t", topic]);
    expect(metadata.stdout.toString()).toContain(`topic "${topic}" with 3 partitions`);
  });

  test("runs from an empty folder with its .env, serves, produces and sinks, exits 0 on SIGTERM", async () => {
    const folder = dirname(binary);
    const { JWT_SECRET: _secret, ...env } = testEnv({ ...overrides, LOG_LEVEL: "info" });
    await Bun.write(`${folder}/.env`, `JWT_SECRET=${testSecret}\n`);
    const hashing = Bun.spawnSync([binary, "hash-password"], {
      env: bareEnv({}),
      stdin: new TextEncoder().encode("fixture-password\n"),
    });
    const passwordHash = hashing.stdout.toString().trim();
    expect(passwordHash).toStartWith("$argon2id$");
    const users = { users: [{ username: "ops", passwordHash, role: "admin" }] };
    await Bun.write(`${folder}/users.json`, JSON.stringify(users));

    const child = Bun.spawn([binary], {
      env: bareEnv(env),
      cwd: folder,
      stdout: "pipe",
      stderr: "pipe",
    });
    const stderr = new Response(child.stderr).text();
    try {
      const out = lineReader(child.stdout);
      const listening = JSON.parse(await out.waitFor((line) => line.includes('"listening"')));
      const health = await eventually(async () => {
        const res = await fetch(`${listening.url}/health`);
        return res.status === 200 ? res : undefined;
      });
      expect(((await health.json()) as { status: string }).status).toBe("API is running");
      const ready = await fetch(`${listening.url}/health/ready`);
      expect(ready.status).toBe(200);
      const login = await fetch(`${listening.url}/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "ops", password: "fixture-password" }),
      });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };

      // kafkajs inside the executable: the producer acknowledges, the sink stores the rows.
      const events = Array.from({ length: 20 }, (_, i) => ({ event: "binary", data: { i } }));
      const posted = await fetch(`${listening.url}/api/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      expect(((await posted.json()) as { accepted: number }).accepted).toBe(20);
      await eventually(
        async () => {
          const result = await backends.clickhouse.client.query({
            query: `SELECT count() AS n FROM ${overrides.CLICKHOUSE_DATABASE}.events FINAL`,
            format: "JSONEachRow",
          });
          const [row] = (await result.json()) as { n: string }[];
          return row?.n === "20";
        },
        { timeoutMs: 45_000, what: "the binary's sink to store 20 rows" },
      );

      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      await out.waitFor((line) => line.includes('"stopped"'));
      // kafkajs's negative timers, on either thread, are not reported as warnings.
      expect(await stderr).not.toContain("Warning");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
