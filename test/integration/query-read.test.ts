import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errorReply, type QueryFixture, queryFixture } from "./query-fixture";

interface JsonReply {
  data: Record<string, unknown>[];
  cached: boolean;
  meta: { name: string; type: string }[];
  rows: number;
  statistics: { elapsed: number; rows_read: number; bytes_read: number };
}

const pagesSql = "SELECT page, n FROM visits ORDER BY page";

describe("reading through the query endpoints", () => {
  let f: QueryFixture;
  beforeAll(async () => {
    f = await queryFixture("read");
    await f.command(
      "CREATE TABLE visits (day Date, page String, n UInt32) ENGINE = MergeTree ORDER BY page",
    );
    await f.command(
      "INSERT INTO visits VALUES ('2024-01-01', '/a', 1), ('2024-01-01', '/b', 2), " +
        "('2024-01-02', '/c', 3)",
    );
  });
  afterAll(() => f.close());

  test("GET answers with data, cached, meta, rows and statistics, then from cache", async () => {
    const first = await f.query(f.tokens.user, pagesSql);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(first.headers.get("x-query-id")).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await first.json()) as JsonReply;
    expect(body.data).toEqual([
      { page: "/a", n: 1 },
      { page: "/b", n: 2 },
      { page: "/c", n: 3 },
    ]);
    expect(body.cached).toBe(false);
    expect(body.meta).toEqual([
      { name: "page", type: "String" },
      { name: "n", type: "UInt32" },
    ]);
    expect(body.rows).toBe(3);
    expect(body.statistics.rows_read).toBeGreaterThanOrEqual(3);

    const second = await f.query(f.tokens.user, pagesSql);
    expect(second.headers.get("x-cache")).toBe("HIT");
    const cached = (await second.json()) as JsonReply;
    expect(cached.cached).toBe(true);
    expect(cached.data).toEqual(body.data);
    expect(await f.live.metrics.cacheHits.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  test("POST takes long SQL in a JSON body and answers the same way", async () => {
    const pages = Array.from({ length: 2_000 }, (_, i) => `'/p${i}'`).join(", ");
    const sql = `SELECT count() AS c FROM visits WHERE page IN ('/a', ${pages})`;
    expect(sql.length).toBeGreaterThan(10_000);
    const res = await f.query(f.tokens.user, sql, { method: "POST" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as JsonReply).data).toEqual([{ c: "1" }]);
  });

  test("format ndjson streams one JSON object per line", async () => {
    const res = await f.query(f.tokens.user, pagesSql, { format: "ndjson", method: "POST" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text()).trim().split("\n");
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { page: "/a", n: 1 },
      { page: "/b", n: 2 },
      { page: "/c", n: 3 },
    ]);
  });

  test("format csv streams a header line and the rows", async () => {
    const res = await f.query(f.tokens.user, pagesSql, { format: "csv" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/csv");
    expect(await res.text()).toBe('"page","n"\n"/a",1\n"/b",2\n"/c",3\n');
  });

  test("one role's or one user's cached result is never served to another", async () => {
    const sql = "SELECT sum(n) AS total FROM visits";
    expect((await f.query(f.tokens.user, sql)).headers.get("x-cache")).toBe("MISS");
    expect((await f.query(f.tokens.admin, sql)).headers.get("x-cache")).toBe("MISS");
    expect((await f.query(f.otherUser, sql)).headers.get("x-cache")).toBe("MISS");
    expect((await f.query(f.tokens.user, sql)).headers.get("x-cache")).toBe("HIT");
    expect((await f.query(f.otherUser, sql)).headers.get("x-cache")).toBe("HIT");
  });

  test("a GET repeat and a POST of the same SQL are served the same result", async () => {
    const sql = "SELECT count() AS seen FROM visits";
    const first = (await (await f.query(f.tokens.user, sql)).json()) as JsonReply;
    const repeat = await f.query(f.tokens.user, sql);
    const posted = await f.query(f.tokens.user, sql, { method: "POST" });
    expect(repeat.headers.get("x-cache")).toBe("HIT");
    expect(posted.headers.get("x-cache")).toBe("HIT");
    expect(((await repeat.json()) as JsonReply).data).toEqual(first.data);
    expect(((await posted.json()) as JsonReply).data).toEqual(first.data);
    // A repeat with a broken format is still checked, never answered from the cache.
    const bad = await f.query(f.tokens.user, sql, { format: "xml" as "json" });
    expect(bad.status).toBe(400);
  });

  test("clear-cache is for admin only, and afterwards queries run again", async () => {
    const sql = "SELECT max(n) AS top FROM visits";
    await f.query(f.tokens.user, sql);
    expect((await f.query(f.tokens.user, sql)).headers.get("x-cache")).toBe("HIT");

    const refused = await f.live.app.request("/api/clickhouse/clear-cache", {
      method: "POST",
      headers: { authorization: `Bearer ${f.tokens.user}` },
    });
    expect(refused.status).toBe(403);
    const cleared = await f.live.app.request("/api/clickhouse/clear-cache", {
      method: "POST",
      headers: { authorization: `Bearer ${f.tokens.admin}` },
    });
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toEqual({ message: "Cache cleared" });
    expect((await f.query(f.tokens.user, sql)).headers.get("x-cache")).toBe("MISS");
  });

  test("bad SQL is a 400 carrying ClickHouse's message and nothing about the server", async () => {
    const syntax = await f.query(f.tokens.user, "SELEC page FROM visits");
    expect(syntax.status).toBe(400);
    const body = await errorReply(syntax);
    expect(body.code).toBe("query_failed");
    expect(body.error).toStartWith("Syntax error");
    expect(body.details?.clickhouseCode).toBe(62);
    expect(typeof body.requestId).toBe("string");

    const missing = await errorReply(await f.query(f.tokens.user, "SELECT * FROM nowhere"));
    expect(missing.error).toContain("doesn't exist");
  });

  test("malformed requests get clear JSON errors and change nothing", async () => {
    const post = (body: string, type = "application/json") =>
      f.live.app.request("/api/clickhouse/query", {
        method: "POST",
        headers: { authorization: `Bearer ${f.tokens.user}`, "content-type": type },
        body,
      });
    const cases: [Response, number][] = [
      [await f.live.app.request("/api/clickhouse/query"), 401],
      [await f.query(f.tokens.ingest, pagesSql), 403],
      [await f.query(f.tokens.user, ""), 400],
      [await f.query(f.tokens.user, " -- only a comment"), 400],
      [await post(JSON.stringify({ sql: 5 })), 400],
      [await post(JSON.stringify({ sql: "SELECT 1", format: "xml" })), 400],
      [await post('{"sql": "SELECT 1'), 400],
      [await post("sql=SELECT 1", "text/plain"), 415],
      [await post(JSON.stringify({ sql: `SELECT '${"x".repeat(20_000)}'` })), 400],
      [await post(JSON.stringify({ sql: `SELECT '${"x".repeat(3_000_000)}'` })), 413],
    ];
    for (const [res, status] of cases) {
      expect(res.status).toBe(status);
      const body = await errorReply(res);
      expect(Object.keys(body)).toContain("code");
      expect(typeof body.error).toBe("string");
    }
    expect(await f.rows("SELECT count() AS c FROM visits")).toEqual([{ c: "3" }]);
  });
});
