import type { Role } from "../../src/auth/roles";
import { tokenService } from "../../src/auth/tokens";
import { appOnRealBackends } from "../support/app";
import { tokenFor } from "../support/identity";
import { runId, testConfig } from "../support/stack";

export interface QueryOptions {
  format?: "json" | "ndjson" | "csv";
  method?: "GET" | "POST";
  signal?: AbortSignal;
}

export interface ErrorReply {
  error: string;
  code: string;
  requestId: string;
  details?: { clickhouseCode?: number };
}

/**
 * An app on the real backends whose analytics database is `test_<run>_<name>`, created here and
 * dropped by `close`. Rate limits are off: these tests send many requests on purpose.
 */
export async function queryFixture(name: string, overrides: Record<string, string> = {}) {
  const database = `test_${runId}_${name}`;
  const config = testConfig({ CLICKHOUSE_DATABASE: database, RATE_LIMIT_MAX: "0", ...overrides });
  const live = await appOnRealBackends(config);
  const extraDatabases: string[] = [];
  await live.clickhouse.command(`CREATE DATABASE IF NOT EXISTS ${database}`, { database: "" });

  const tokens: Record<Role, string> = {
    admin: await tokenFor(config, "admin"),
    user: await tokenFor(config, "user"),
    ingest: await tokenFor(config, "ingest"),
  };
  /** A second account with the `user` role, to show results are not shared between users. */
  const otherUser = (
    await tokenService(config.auth).issue({ username: "carol", passwordHash: "", role: "user" })
  ).token;

  const query = (token: string, sql: string, options: QueryOptions = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (options.method === "POST") {
      headers["content-type"] = "application/json";
      const body = JSON.stringify({ sql, ...(options.format ? { format: options.format } : {}) });
      return live.app.request("/api/clickhouse/query", {
        method: "POST",
        headers,
        body,
        signal: options.signal,
      });
    }
    const params = new URLSearchParams({
      sql,
      ...(options.format ? { format: options.format } : {}),
    });
    return live.app.request(`/api/clickhouse/query?${params}`, { headers, signal: options.signal });
  };

  /** Rows read straight from ClickHouse through the API's own account, bypassing the API. */
  const rows = async <T = Record<string, unknown>>(sql: string): Promise<T[]> => {
    const result = await live.clickhouse.client.query({ query: sql, format: "JSONEachRow" });
    return result.json<T>();
  };
  const command = (sql: string) => live.clickhouse.command(sql);

  /** Another database of this run, also dropped by `close`. */
  const createDatabase = async (suffix: string) => {
    const other = `${database}_${suffix}`;
    await live.clickhouse.command(`CREATE DATABASE IF NOT EXISTS ${other}`, { database: "" });
    extraDatabases.push(other);
    return other;
  };

  const close = async () => {
    for (const db of [database, ...extraDatabases]) {
      await live.clickhouse.command(`DROP DATABASE IF EXISTS ${db}`, { database: "" });
    }
    await live.close();
  };

  return { config, database, live, tokens, otherUser, query, rows, command, createDatabase, close };
}

export type QueryFixture = Awaited<ReturnType<typeof queryFixture>>;

/** Reads a JSON error reply and checks it says nothing about the server behind the API. */
export async function errorReply(res: Response): Promise<ErrorReply> {
  const text = await res.text();
  for (const leak of ["DB::Exception", "e.what()", "Stack trace", "127.0.0.1", ":8123"]) {
    if (text.includes(leak)) throw new Error(`error body reveals "${leak}": ${text}`);
  }
  return JSON.parse(text) as ErrorReply;
}

/** A marker unique to this run that a probe can look for without containing it itself. */
export function marker(name: string) {
  const text = `${name}_${runId}`;
  return { text, probe: `position(query, concat('${name}_', '${runId}')) > 0` };
}
