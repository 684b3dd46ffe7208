import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, runId } from "../support/stack";
import { errorReply, marker, type QueryFixture, queryFixture } from "./query-fixture";

/** What a write would change, read straight from ClickHouse. */
async function ledgerState(f: QueryFixture) {
  const [totals] = await f.rows("SELECT count() AS rows, sum(amount) AS total FROM ledger");
  const tables = await f.rows(
    `SELECT name FROM system.tables WHERE database = '${f.database}' ORDER BY name`,
  );
  const columns = await f.rows(
    `SELECT name, type FROM system.columns WHERE database = '${f.database}' AND table = 'ledger'`,
  );
  const databases = await f.rows(
    `SELECT name FROM system.databases WHERE name LIKE 'test_${runId}_ro%' ORDER BY name`,
  );
  return { totals, tables, columns, databases };
}

describe("the user role cannot write: ClickHouse refuses, and its state shows it", () => {
  let f: QueryFixture;
  let before: Awaited<ReturnType<typeof ledgerState>>;
  beforeAll(async () => {
    f = await queryFixture("ro");
    await f.command("CREATE TABLE ledger (id UInt32, amount Int64) ENGINE = MergeTree ORDER BY id");
    await f.command("INSERT INTO ledger VALUES (1, 10), (2, 20), (3, 30)");
    before = await ledgerState(f);
  });
  afterAll(() => f.close());

  const refusedByClickHouse = [
    "INSERT INTO ledger VALUES (99, 990)",
    "INSERT INTO ledger SELECT 100, 1000",
    "DROP TABLE ledger",
    "TRUNCATE TABLE ledger",
    "ALTER TABLE ledger DELETE WHERE 1",
    "ALTER TABLE ledger ADD COLUMN note String",
    "ALTER TABLE ledger DROP COLUMN amount",
    "CREATE TABLE extra (x UInt8) ENGINE = Memory",
    `CREATE DATABASE test_${runId}_ro_made`,
    "RENAME TABLE ledger TO moved",
    "OPTIMIZE TABLE ledger FINAL",
    "SET readonly = 0",
    "SELECT count() FROM ledger SETTINGS readonly = 0",
    "SELECT count() FROM ledger SETTINGS max_execution_time = 0",
    "SELECT * FROM numbers(10)",
    "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'x String')",
  ];
  test.each(refusedByClickHouse)("%s is refused by ClickHouse's read-only mode", async (sql) => {
    const res = await f.query(f.tokens.user, sql, { method: "POST" });
    expect(res.status).toBe(403);
    const body = await errorReply(res);
    expect(body.code).toBe("query_forbidden");
    expect(body.details?.clickhouseCode).toBe(164);
    expect(await ledgerState(f)).toEqual(before);
  });

  test.each(["SELECT 1; DROP TABLE ledger", "SELECT 1; INSERT INTO ledger VALUES (5, 50)"])(
    "%s: several statements at once are refused",
    async (sql) => {
      const res = await f.query(f.tokens.user, sql);
      expect(res.status).toBe(400);
      expect((await errorReply(res)).error).toContain("Multi-statements are not allowed");
      expect(await ledgerState(f)).toEqual(before);
    },
  );

  test("reading the allowed database works", async () => {
    const res = await f.query(f.tokens.user, "SELECT sum(amount) AS total FROM ledger");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([{ total: "60" }]);
  });

  test("admin may write, and the row is really there", async () => {
    await f.command("CREATE TABLE notes (id UInt32) ENGINE = MergeTree ORDER BY id");
    const res = await f.query(f.tokens.admin, "INSERT INTO notes VALUES (7)", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [], meta: [], rows: 0, cached: false });
    expect(await f.rows("SELECT id FROM notes")).toEqual([{ id: 7 }]);
  });
});

describe("the user role sees only its databases (checked by the API before ClickHouse)", () => {
  let f: QueryFixture;
  let other = "";
  beforeAll(async () => {
    f = await queryFixture("scope");
    await f.command("CREATE TABLE mine (x String) ENGINE = Memory");
    await f.command("INSERT INTO mine VALUES ('ours')");
    other = await f.createDatabase("other");
    await f.command(`CREATE TABLE ${other}.secret (x String) ENGINE = Memory`);
    await f.command(`INSERT INTO ${other}.secret VALUES ('classified')`);
  });
  afterAll(() => f.close());

  test("other databases, system and information_schema are refused however named", async () => {
    for (const sql of [
      `SELECT * FROM ${other}.secret`,
      `SELECT * FROM \`${other}\`.secret`,
      `SELECT * FROM mine WHERE x IN (SELECT x FROM "${other}".secret)`,
      "SELECT query FROM system.processes",
      "SELECT query FROM system.query_log",
      "SELECT query FROM `system`.`query_log`",
      "SELECT query FROM system/**/.query_log",
      "SELECT * FROM information_schema.tables",
      "SHOW PROCESSLIST",
      "SHOW DATABASES",
      `SHOW TABLES FROM ${other}`,
      "SELECT joinGet('system.one', 'dummy', 0)",
    ]) {
      const res = await f.query(f.tokens.user, sql);
      const text = await res.clone().text();
      expect(res.status).toBe(403);
      expect((await errorReply(res)).code).toBe("query_forbidden");
      expect(text).not.toContain("classified");
    }
  });

  test("admin still reads them, and the user's own tables and strings are fine", async () => {
    const adminRead = await f.query(f.tokens.admin, `SELECT x FROM ${other}.secret`);
    expect(((await adminRead.json()) as { data: unknown[] }).data).toEqual([{ x: "classified" }]);

    const own = await f.query(f.tokens.user, "SELECT x, 'system.processes' AS s FROM mine");
    expect(((await own.json()) as { data: unknown[] }).data).toEqual([
      { x: "ours", s: "system.processes" },
    ]);
    const tables = await f.query(f.tokens.user, "SHOW TABLES");
    expect(((await tables.json()) as { data: unknown[] }).data).toEqual([{ name: "mine" }]);
  });

  test("KILL QUERY, allowed in read-only mode, is refused; the query lives on", async () => {
    const mark = marker("survivor");
    const running = f.query(f.tokens.admin, `SELECT sleep(2) AS pause, '${mark.text}' AS m`);
    await eventually(
      async () => (await f.rows(`SELECT 1 FROM system.processes WHERE ${mark.probe}`)).length > 0,
      { what: "the admin query to be running" },
    );

    const kill = await f.query(f.tokens.user, "KILL QUERY WHERE 1");
    expect(kill.status).toBe(403);
    expect((await errorReply(kill)).error).toContain("KILL");
    expect((await running).status).toBe(200);
  }, 30_000);
});
