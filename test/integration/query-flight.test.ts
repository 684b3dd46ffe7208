import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "../support/stack";
import { marker, type QueryFixture, queryFixture } from "./query-fixture";

describe("identical concurrent queries and clients that go away", () => {
  let f: QueryFixture;
  beforeAll(async () => {
    f = await queryFixture("flight");
  });
  afterAll(() => f.close());

  /** Finished runs of queries holding `probe`, from ClickHouse's own query log (2: finished). */
  const finishedRuns = async (probe: string) => {
    await f.command("SYSTEM FLUSH LOGS");
    const [row] = await f.rows<{ runs: string }>(
      `SELECT count() AS runs FROM system.query_log WHERE toUInt8(type) = 2 AND ${probe}`,
    );
    return Number(row?.runs ?? 0);
  };

  test("twelve identical queries at once run once on ClickHouse and all get its rows", async () => {
    const mark = marker("flight");
    const sql = `SELECT sleep(1) AS pause, '${mark.text}' AS marker`;
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => f.query(f.tokens.user, sql)),
    );
    expect(replies.map((res) => res.status)).toEqual(Array(12).fill(200));
    const bodies = await Promise.all(replies.map((res) => res.json()));
    for (const body of bodies) expect(body).toMatchObject({ data: [{ marker: mark.text }] });
    expect(new Set(replies.map((res) => res.headers.get("x-query-id"))).size).toBe(1);

    expect(await eventually(async () => (await finishedRuns(mark.probe)) || undefined)).toBe(1);
  }, 30_000);

  test("a client that disconnects has its query leave ClickHouse's process list", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: f.live.app.fetch });
    try {
      const mark = marker("cancel");
      // One second per row, one row per block: a minute of work unless it is stopped.
      const sql =
        `SELECT sleepEachRow(1) AS pause, '${mark.text}' AS m FROM system.numbers ` +
        "LIMIT 60 SETTINGS max_block_size = 1";
      const client = new AbortController();
      const params = new URLSearchParams({ sql });
      const request = fetch(`http://127.0.0.1:${server.port}/api/clickhouse/query?${params}`, {
        headers: { authorization: `Bearer ${f.tokens.admin}` },
        signal: client.signal,
      }).catch((error: Error) => error.name);

      const running = `SELECT query_id FROM system.processes WHERE ${mark.probe}`;
      await eventually(async () => (await f.rows(running)).length > 0, {
        what: "the query to show in system.processes",
      });
      client.abort();
      expect(await request).toBe("AbortError");

      await eventually(async () => (await f.rows(running)).length === 0, {
        timeoutMs: 15_000,
        what: "the query to leave system.processes",
      });
      const gauge = await f.live.metrics.queriesInFlight.get();
      expect(gauge.values[0]?.value).toBe(0);
      expect(await finishedRuns(mark.probe)).toBe(0);
    } finally {
      await server.stop(true);
    }
  }, 30_000);
});
