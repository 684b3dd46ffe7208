import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/errors";
import { checkUserSql } from "../../src/query/guard";
import { isRead, scanSql } from "../../src/query/sql";

const words = (sql: string) =>
  scanSql(sql)
    .tokens.filter((token) => token.kind === "word" || token.kind === "quoted")
    .map((token) => token.text);

const others = new Set(["secrets", "Other_DB"]);

function refusal(sql: string): string | undefined {
  try {
    checkUserSql(scanSql(sql), others);
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    expect(error.code).toBe("query_forbidden");
    return error.message;
  }
}

describe("scanning SQL", () => {
  test("string literals and comments are skipped, identifiers are unquoted", () => {
    expect(words("SELECT 'system.processes', a -- system\n FROM t /* system */")).toEqual([
      "SELECT",
      "a",
      "FROM",
      "t",
    ]);
    expect(words('SELECT * FROM `system`.processes, "sys""tem".x')).toEqual([
      "SELECT",
      "FROM",
      "system",
      "processes",
      'sys"tem',
      "x",
    ]);
  });

  test("a backslash escape inside a string does not end it early", () => {
    expect(words("SELECT 'it\\'s', 'a\\\\' , b")).toEqual(["SELECT", "b"]);
    expect(words("SELECT 'it''s system'")).toEqual(["SELECT"]);
  });

  test("block comments do not nest, so what follows the first */ is code", () => {
    expect(words("/* /* */ system.processes */ SELECT 1")).toContain("system");
  });

  test("non-ASCII characters and # split words instead of joining or hiding them", () => {
    expect(words("SELECT * FROM\u00a0system.one")).toContain("system");
    expect(words("SELECT 1 #\nFROM system.one")).toContain("system");
  });

  test("the statement ends before trailing semicolons and comments", () => {
    const sql = "SELECT 1 ;; -- done\n /* unterminated";
    expect(sql.slice(0, scanSql(sql).end)).toBe("SELECT 1");
    expect(scanSql("  ").tokens).toHaveLength(0);
  });

  test("reads are told apart from writes by their first keyword", () => {
    for (const sql of [
      "select 1",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "(SELECT 1)",
      "DESC t",
    ]) {
      expect(isRead(scanSql(sql))).toBe(true);
    }
    for (const sql of ["INSERT INTO t VALUES (1)", "DROP TABLE t", "SET readonly = 0", "KILL"]) {
      expect(isRead(scanSql(sql))).toBe(false);
    }
  });
});

describe("the user role's SQL guard", () => {
  test("refuses system and information_schema however they are written", () => {
    for (const sql of [
      "SELECT * FROM system.processes",
      "SELECT * FROM SYSTEM.query_log",
      "SELECT * FROM `system`.`query_log`",
      'SELECT * FROM "system".processes',
      "SELECT * FROM system /* gap */ . processes",
      "SELECT * FROM t WHERE x IN (SELECT query FROM system.query_log)",
      "SELECT * FROM information_schema.tables",
      "SELECT * FROM INFORMATION_SCHEMA.TABLES",
    ]) {
      expect(refusal(sql)).toContain("is not available to the user role");
    }
  });

  test("refuses every existing database outside the allow-list", () => {
    expect(refusal("SELECT * FROM secrets.t")).toContain('"secrets"');
    expect(refusal("SELECT * FROM `Other_DB`.t")).toContain('"Other_DB"');
    expect(refusal("SELECT * FROM analytics.events")).toBeUndefined();
  });

  test("refuses statements that reach other people's queries", () => {
    expect(refusal("KILL QUERY WHERE 1")).toContain("KILL");
    expect(refusal("kill query where user = 'x'")).toContain("KILL");
    expect(refusal("SHOW PROCESSLIST")).toContain("PROCESSLIST");
    expect(refusal("SHOW DATABASES")).toContain("DATABASES");
    expect(refusal("SHOW TABLES")).toBeUndefined();
    expect(refusal("SHOW CREATE TABLE events")).toBeUndefined();
  });

  test("refuses functions that name tables in strings, and escaped quoted names", () => {
    expect(refusal("SELECT joinGet('system.one', 'x', 1)")).toContain("joinGet");
    expect(refusal("SELECT hasColumnInTable('system', 'processes', 'query')")).toBeDefined();
    expect(refusal("SELECT * FROM `syst\\em`.one")).toContain("Escapes");
  });

  test("leaves mentions inside strings and comments alone", () => {
    expect(refusal("SELECT 'system.processes' AS s")).toBeUndefined();
    expect(refusal("/* system.processes */ SELECT count() FROM events -- system")).toBeUndefined();
    expect(refusal("SELECT 'secrets' AS name, joinget_count FROM events")).toBeUndefined();
  });
});
