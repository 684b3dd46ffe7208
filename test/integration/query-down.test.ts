import { describe, expect, test } from "bun:test";
import { appOnRealBackends } from "../support/app";
import { tokenFor } from "../support/identity";
import { privateClickHouse } from "../support/private-clickhouse";
import { closedPort, testConfig } from "../support/stack";
import { errorReply } from "./query-fixture";

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
      await clickhouse.close();
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
