import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "../support/stack";
import { errorReply, type QueryFixture, queryFixture } from "./query-fixture";

const gaugeValue = async (gauge: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await gauge.get()).values[0]?.value ?? 0;

describe("limits per role, enforced on the real ClickHouse", () => {
  let f: QueryFixture;
  beforeAll(async () => {
    f = await queryFixture("limits", {
      QUERY_TIMEOUT_SECONDS_USER: "1",
      QUERY_MAX_ROWS_USER: "5",
      QUERY_MAX_MEMORY_BYTES_USER: "20000000",
      QUERY_MAX_SQL_LENGTH_USER: "200",
    });
    await f.command("CREATE TABLE series (n UInt32) ENGINE = MergeTree ORDER BY n");
    await f.command("INSERT INTO series SELECT toUInt32(number) FROM system.numbers LIMIT 100");
  });
  afterAll(() => f.close());

  test("a query past the role's time limit is a 504, answered within a bounded time", async () => {
    const started = Date.now();
    const res = await f.query(f.tokens.user, "SELECT sleep(3)");
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.status).toBe(504);
    const body = await errorReply(res);
    expect(body.code).toBe("query_timeout");
    expect(body.details?.clickhouseCode).toBe(159);
  }, 30_000);

  test("more rows than the role may read is a clear 400, in every format", async () => {
    const json = await f.query(f.tokens.user, "SELECT n FROM series");
    expect(json.status).toBe(400);
    const body = await errorReply(json);
    expect(body.code).toBe("too_many_rows");
    expect(body.error).toContain("max rows: 5");

    const stream = await f.query(f.tokens.user, "SELECT n FROM series", { format: "ndjson" });
    expect(stream.status).toBe(400);
    expect((await errorReply(stream)).code).toBe("too_many_rows");

    const limited = await f.query(f.tokens.user, "SELECT n FROM series ORDER BY n LIMIT 5");
    expect(((await limited.json()) as { rows: number }).rows).toBe(5);
  });

  test("more memory than the role may use is a 400 with ClickHouse's message", async () => {
    const res = await f.query(f.tokens.user, "SELECT length(range(10000000)) AS n");
    expect(res.status).toBe(400);
    const body = await errorReply(res);
    expect(body.error).toContain("Memory limit");
    expect(body.details?.clickhouseCode).toBe(241);
  });

  test("SQL longer than the role allows is refused before ClickHouse sees it", async () => {
    const sql = `SELECT count() FROM series WHERE n > 0 ${"AND 1 ".repeat(40)}`;
    const res = await f.query(f.tokens.user, sql, { method: "POST" });
    expect(res.status).toBe(400);
    expect((await errorReply(res)).code).toBe("query_too_large");
  });

  test("admin has its own, larger limits", async () => {
    const rows = await f.query(f.tokens.admin, "SELECT n FROM series");
    expect(((await rows.json()) as { rows: number }).rows).toBe(100);
    const slow = await f.query(f.tokens.admin, "SELECT sleep(2) AS pause");
    expect(slow.status).toBe(200);
  }, 30_000);
});

describe("at most N queries in flight, then a bounded queue, then 503", () => {
  test("past a full queue a query is refused at once; the others finish", async () => {
    const f = await queryFixture("pool", {
      CLICKHOUSE_MAX_CONCURRENT_QUERIES: "1",
      QUERY_QUEUE_SIZE: "1",
      QUERY_QUEUE_TIMEOUT_MS: "30000",
    });
    try {
      const { queriesInFlight, queriesQueued } = f.live.metrics;
      const running = f.query(f.tokens.admin, "SELECT sleep(2) AS pause, 'running' AS q");
      await eventually(async () => (await gaugeValue(queriesInFlight)) === 1);
      const queued = f.query(f.tokens.admin, "SELECT sleep(1) AS pause, 'queued' AS q");
      await eventually(async () => (await gaugeValue(queriesQueued)) === 1);

      const refused = await f.query(f.tokens.admin, "SELECT 'refused' AS q");
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect((await errorReply(refused)).code).toBe("queue_full");

      expect((await running).status).toBe(200);
      expect((await queued).status).toBe(200);
      expect(await gaugeValue(queriesInFlight)).toBe(0);
    } finally {
      await f.close();
    }
  }, 30_000);

  test("a query that waits longer than the queue timeout gets a 503", async () => {
    const f = await queryFixture("wait", {
      CLICKHOUSE_MAX_CONCURRENT_QUERIES: "1",
      QUERY_QUEUE_TIMEOUT_MS: "300",
    });
    try {
      const running = f.query(f.tokens.admin, "SELECT sleep(2) AS pause");
      await eventually(async () => (await gaugeValue(f.live.metrics.queriesInFlight)) === 1);
      const waited = await f.query(f.tokens.user, "SELECT 1 AS waited");
      expect(waited.status).toBe(503);
      expect((await errorReply(waited)).error).toBe("No query slot became free within 300 ms");
      expect((await running).status).toBe(200);
    } finally {
      await f.close();
    }
  }, 30_000);
});
