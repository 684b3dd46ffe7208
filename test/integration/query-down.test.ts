import { describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { appOnRealBackends } from "../support/app";
import { tokenFor } from "../support/identity";
import { closedPort, eventually, testConfig } from "../support/stack";
import { errorReply } from "./query-fixture";

const templates = resolve(import.meta.dir, "../../infrastructure/local/clickhouse");

/** A ClickHouse of this test's own (folder and ports), so that stopping it disturbs nobody. */
async function privateClickHouse() {
  const dir = await mkdtemp(join(tmpdir(), "auterity-ch-"));
  const [httpPort, tcpPort] = [await closedPort(), await closedPort()];
  for (const sub of ["conf", "log", "data", "tmp", "user_files"]) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const config = (await Bun.file(join(templates, "config.xml")).text())
    .replaceAll("@STATE@", dir)
    .replace("@HTTP_PORT@", String(httpPort))
    .replace("@TCP_PORT@", String(tcpPort));
  await Bun.write(join(dir, "conf/config.xml"), config);
  await Bun.write(join(dir, "conf/users.xml"), Bun.file(join(templates, "users.xml")));

  const url = `http://127.0.0.1:${httpPort}`;
  let server: ReturnType<typeof Bun.spawn> | undefined;
  const start = async () => {
    server = Bun.spawn(["clickhouse-server", `--config-file=${join(dir, "conf/config.xml")}`], {
      cwd: dir,
      stdout: "ignore",
      stderr: "ignore",
    });
    await eventually(async () => (await fetch(`${url}/ping`)).ok, {
      timeoutMs: 45_000,
      what: "the private ClickHouse to answer",
    });
  };
  const stop = async () => {
    server?.kill("SIGKILL");
    await server?.exited;
  };
  const remove = async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  await start();
  return { url, start, stop, remove };
}

async function appOn(url: string, overrides: Record<string, string> = {}) {
  const config = testConfig({ CLICKHOUSE_URL: url, RATE_LIMIT_MAX: "0", ...overrides });
  const live = await appOnRealBackends(config);
  const tokens = { admin: await tokenFor(config, "admin"), user: await tokenFor(config, "user") };
  const query = (token: string, sql: string) =>
    live.app.request(`/api/clickhouse/query?${new URLSearchParams({ sql })}`, {
      headers: { authorization: `Bearer ${token}` },
    });
  return { live, tokens, query };
}

/** A 503 that arrives within `withinMs` and names nothing about the server. */
async function expectUnavailable(
  reply: () => Promise<Response> | Response,
  hidden: string,
  withinMs = 5_000,
) {
  const started = Date.now();
  const res = await reply();
  expect(Date.now() - started).toBeLessThan(withinMs);
  expect(res.status).toBe(503);
  const text = await res.clone().text();
  expect(text).not.toContain(hidden);
  const body = await errorReply(res);
  expect(body).toEqual({
    error: "ClickHouse is not available; try again shortly",
    code: "backend_unavailable",
    requestId: body.requestId,
  });
}

describe("ClickHouse down", () => {
  test("nothing listening: a quick 503 for every role, without host or port", async () => {
    const port = await closedPort();
    const { live, tokens, query } = await appOn(`http://127.0.0.1:${port}`);
    try {
      await expectUnavailable(() => query(tokens.user, "SELECT 1"), String(port));
      await expectUnavailable(() => query(tokens.admin, "SELECT 1"), String(port));
    } finally {
      await live.close();
    }
  });

  test("a server that goes away: 503 while it is gone, answers again once back", async () => {
    const clickhouse = await privateClickHouse();
    const port = new URL(clickhouse.url).port;
    const { live, tokens, query } = await appOn(clickhouse.url, { CLICKHOUSE_DATABASE: "default" });
    try {
      expect((await query(tokens.user, "SELECT 1 AS up")).status).toBe(200);

      await clickhouse.stop();
      await expectUnavailable(() => query(tokens.user, "SELECT 2 AS up"), port);
      await expectUnavailable(() => query(tokens.admin, "SELECT 2 AS up"), port);

      await clickhouse.start();
      const back = await query(tokens.user, "SELECT 3 AS up");
      expect(back.status).toBe(200);
      expect(await back.json()).toMatchObject({ data: [{ up: 3 }], cached: false });
    } finally {
      await live.close();
      await clickhouse.remove();
    }
  }, 120_000);

  test("a server that accepts and never answers: the request still ends in time", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const { live, tokens, query } = await appOn(`http://127.0.0.1:${silent.port}`, {
      QUERY_TIMEOUT_SECONDS_ADMIN: "1",
    });
    try {
      const started = Date.now();
      const admin = await query(tokens.admin, "SELECT 1");
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(admin.status).toBe(504);
      expect((await errorReply(admin)).code).toBe("query_timeout");

      await expectUnavailable(() => query(tokens.user, "SELECT 1"), String(silent.port), 15_000);
    } finally {
      silent.stop(true);
      await live.close();
    }
  }, 60_000);
});
