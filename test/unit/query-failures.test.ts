import { describe, expect, test } from "bun:test";
import { ClickHouseError } from "@clickhouse/client-web";
import { loadConfig } from "../../src/config";
import { clickhouseMessage, queryError } from "../../src/query/failures";
import { jsonBody } from "../../src/query/json-body";
import { settingsTable } from "../../src/query/limits";

const old = (code: number, message: string) =>
  new Error(`Code: ${code}, e.displayText() = DB::Exception: ${message}, e.what() = DB::Exception`);

describe("ClickHouse errors", () => {
  test("the 18.16 form becomes ClickHouse's own message with its code in the details", () => {
    const error = queryError(old(62, "Syntax error: failed at position 1: SELEC 1. Expected …"));
    expect(error).toMatchObject({ code: "query_failed", status: 400 });
    expect(error.message).toBe("Syntax error: failed at position 1: SELEC 1. Expected …");
    expect(error.details).toEqual({ clickhouseCode: 62 });
  });

  test("the current form loses its type, version and stack trace", () => {
    const text =
      "Code: 47. DB::Exception: Unknown identifier: x. (UNKNOWN_IDENTIFIER) (version 24.8.4.13)" +
      "\nStack trace:\n0. DB::Exception::Exception() @ 0x0000 in /usr/bin/clickhouse";
    expect(clickhouseMessage(text)).toBe("Unknown identifier: x");
    const parsed = new ClickHouseError({
      message: "Unknown identifier: x. ",
      code: "47",
      type: "UNKNOWN_IDENTIFIER",
    });
    expect(queryError(parsed)).toMatchObject({
      code: "query_failed",
      message: "Unknown identifier: x",
    });
  });

  test("limits, permissions and timeouts get their own codes", () => {
    expect(queryError(old(159, "Timeout exceeded: elapsed 3 seconds"))).toMatchObject({
      code: "query_timeout",
      status: 504,
    });
    const rows = queryError(old(396, "Limit for result exceeded, max rows: 2.00"));
    expect(rows).toMatchObject({ code: "too_many_rows", status: 400 });
    expect(rows.message).toContain("max rows: 2.00");
    expect(queryError(old(164, "Cannot drop table in readonly mode"))).toMatchObject({
      code: "query_forbidden",
      status: 403,
    });
  });

  test("an unreachable server or a refused account is a 503 that says nothing more", () => {
    const refused = queryError(new Error("Unable to connect to http://10.1.2.3:8123/?query_id=1"));
    expect(refused).toMatchObject({ code: "backend_unavailable", status: 503 });
    expect(refused.message).not.toContain("10.1.2.3");
    const account = queryError(old(193, "Wrong password for user default"));
    expect(account.code).toBe("backend_unavailable");
    expect(account.message).not.toContain("default");
  });

  test("server addresses named in a message are removed", () => {
    const error = queryError(old(210, "x"), ["ch.internal:8123"]);
    expect(error.code).toBe("backend_unavailable");
    const named = queryError(old(60, "Table t on ch.internal:8123 doesn't exist"), [
      "ch.internal:8123",
    ]);
    expect(named.message).toBe("Table t on … doesn't exist");
    expect(clickhouseMessage("Code: 57. DB::Exception: error on [ch-1:9000]: gone")).toBe(
      "error on: gone",
    );
  });
});

describe("the JSON reply", () => {
  const answer = '{\n\t"meta": [],\n\t"data": [{"x": 1}],\n\t"rows": 1\n}\n';
  const decode = (body: Uint8Array) => JSON.parse(new TextDecoder().decode(body));

  test("is ClickHouse's answer with the cached flag added, still valid JSON", () => {
    const encoded = new TextEncoder().encode(answer);
    expect(decode(jsonBody(encoded, false))).toEqual({
      meta: [],
      data: [{ x: 1 }],
      rows: 1,
      cached: false,
    });
    expect(decode(jsonBody(encoded, true)).cached).toBe(true);
  });

  test("anything but a JSON object from ClickHouse is an internal error", () => {
    expect(() => jsonBody(new TextEncoder().encode("1\t2\n"), false)).toThrow(/JSON object/);
  });
});

describe("settings per role", () => {
  const config = loadConfig({
    JWT_SECRET: "s".repeat(32),
    QUERY_TIMEOUT_SECONDS_USER: "7",
    QUERY_MAX_ROWS_USER: "50",
  });
  const table = settingsTable(config.query);

  test("the user role reads with its limits, and read-only mode comes last", () => {
    const user = table.user.buffered;
    expect(user).toMatchObject({
      max_execution_time: 7,
      max_result_rows: "50",
      result_overflow_mode: "throw",
      wait_end_of_query: 1,
      readonly: "1",
    });
    expect(Object.keys(user).at(-1)).toBe("readonly");
    expect(table.user.write.readonly).toBe("1");
  });

  test("admin is not read-only, and writes carry no result limits", () => {
    expect(table.admin.buffered.readonly).toBeUndefined();
    expect(table.admin.write.max_result_rows).toBeUndefined();
    expect(table.admin.streamed.max_result_bytes).toBeUndefined();
  });
});
