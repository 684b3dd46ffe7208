import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";

const secret = "s".repeat(32);

describe("query and cache configuration", () => {
  test("defaults: 10 queries at once, a 5 minute cache, only the analytics database", () => {
    const config = loadConfig({ JWT_SECRET: secret });
    expect(config.query).toMatchObject({
      allowedDatabases: ["analytics"],
      maxConcurrent: 10,
      queueSize: 100,
      queueTimeoutMs: 5_000,
    });
    expect(config.query.limits.user).toEqual({
      timeoutSeconds: 30,
      maxRows: 100_000,
      maxMemoryBytes: 1_000_000_000,
      maxSqlLength: 20_000,
    });
    expect(config.cache).toEqual({ ttlSeconds: 300, maxEntries: 1_000, maxBytes: 67_108_864 });
  });

  test("the analytics database is always allowed, alongside the listed ones", () => {
    const config = loadConfig({
      JWT_SECRET: secret,
      CLICKHOUSE_DATABASE: "events_db",
      QUERY_ALLOWED_DATABASES: "reports, events_db",
    });
    expect(config.query.allowedDatabases).toEqual(["events_db", "reports"]);
  });

  test("system databases cannot be allowed, and bad numbers name their variable", () => {
    expect(() => loadConfig({ JWT_SECRET: secret, QUERY_ALLOWED_DATABASES: "a,System" })).toThrow(
      /QUERY_ALLOWED_DATABASES: may not list system/,
    );
    expect(() => loadConfig({ JWT_SECRET: secret, QUERY_ALLOWED_DATABASES: "a;b" })).toThrow(
      /QUERY_ALLOWED_DATABASES/,
    );
    expect(() => loadConfig({ JWT_SECRET: secret, QUERY_MAX_ROWS_USER: "-1" })).toThrow(
      /QUERY_MAX_ROWS_USER/,
    );
    expect(() => loadConfig({ JWT_SECRET: secret, CACHE_TTL_SECONDS: "soon" })).toThrow(
      /CACHE_TTL_SECONDS/,
    );
  });

  test("a cache TTL of 0 is accepted and means off", () => {
    expect(loadConfig({ JWT_SECRET: secret, CACHE_TTL_SECONDS: "0" }).cache.ttlSeconds).toBe(0);
  });
});
