import type { Identity } from "../auth/tokens";
import type { ClickHouse } from "../clickhouse/client";
import type { Config } from "../config";
import { ApiError } from "../errors";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { createSlots } from "../slots";
import { cacheKey, createQueryCache } from "./cache";
import { databaseCatalog } from "./databases";
import { queryExecutor } from "./execute";
import { cancelled, queryError } from "./failures";
import { singleFlight } from "./flight";
import { checkUserSql } from "./guard";
import { jsonBody, writeBody } from "./json-body";
import { isQueryRole, type Shape, settingsTable } from "./limits";
import { isRead, scanSql } from "./sql";

export const queryFormats = ["json", "ndjson", "csv"] as const;
export type QueryFormat = (typeof queryFormats)[number];

const streamFormats = {
  ndjson: { clause: "JSONEachRow", contentType: "application/x-ndjson" },
  csv: { clause: "CSVWithNames", contentType: "text/csv; charset=utf-8" },
};

/** A GET request as a key: role, user and the raw query string, never shared between them. */
export function requestKey(identity: Identity, rawQuery: string): string {
  return cacheKey(identity.role, identity.name, "get", rawQuery);
}

export interface QueryRequest {
  sql: string;
  format: QueryFormat;
  identity: Identity;
  /** Aborts when the caller goes away; the query is then stopped on ClickHouse too. */
  signal?: AbortSignal;
  /** The request's own key (see `requestKey`), remembered with the result's. */
  request?: string;
}

export type QueryReply =
  | { kind: "json"; body: Uint8Array<ArrayBuffer>; cached: boolean; queryId?: string }
  | { kind: "stream"; body: ReadableStream<Uint8Array>; contentType: string; queryId: string };

interface QueryDeps {
  config: Config;
  clickhouse: ClickHouse;
  metrics: Metrics;
  logger: Logger;
}

/** What a ClickHouse message must never show: where the server lives. */
function redactions(url: string): string[] {
  const { host, hostname } = new URL(url);
  return [host, hostname];
}

/**
 * Runs analytics queries for a role: limits, read-only mode and the database guard for `user`,
 * the pool, and the cache with one run for identical concurrent misses.
 */
export function createQueryService({ config, clickhouse, metrics, logger }: QueryDeps) {
  const pool = createSlots(config.query, {
    noun: { one: "query", many: "queries" },
    cancelled,
    inFlight: metrics.queriesInFlight,
    queued: metrics.queriesQueued,
  });
  const cache = createQueryCache(
    {
      ttlMs: config.cache.ttlSeconds * 1000,
      maxEntries: config.cache.maxEntries,
      maxBytes: config.cache.maxBytes,
    },
    { entries: metrics.cacheEntries, bytes: metrics.cacheBytes },
  );
  const flights = singleFlight<{ body: Uint8Array<ArrayBuffer>; queryId: string }>();
  const catalog = databaseCatalog(clickhouse, config.query.allowedDatabases);
  const settings = settingsTable(config.query);
  const redact = redactions(config.clickhouse.url);
  const executor = queryExecutor({ clickhouse, pool, metrics, logger, redact });

  const run = async ({
    sql,
    format,
    identity,
    signal,
    request,
  }: QueryRequest): Promise<QueryReply> => {
    const role = identity.role;
    if (!isQueryRole(role)) throw new ApiError("forbidden", `Role "${role}" may not query`);
    const limits = config.query.limits[role];
    if (sql.length > limits.maxSqlLength) {
      throw new ApiError(
        "query_too_large",
        `SQL is longer than ${limits.maxSqlLength} characters, the limit for the ${role} role`,
      );
    }

    // A cached result passed every check below when it was made, for this very role and user.
    const key =
      format === "json" && cache.enabled ? cacheKey(role, identity.name, format, sql) : "";
    if (key && request) cache.alias(request, key);
    const hit = key ? cache.get(key) : undefined;
    if (hit) {
      metrics.cacheHits.inc();
      return { kind: "json", body: hit, cached: true };
    }

    const scan = scanSql(sql);
    if (scan.tokens.length === 0) throw new ApiError("bad_request", "The SQL holds no statement");
    if (role === "user") {
      const others = await Promise.resolve(catalog.others()).catch((error) => {
        const failure = queryError(error, redact);
        metrics.queryErrors.inc({ code: failure.code });
        throw failure;
      });
      checkUserSql(scan, others);
    }
    const statement = sql.slice(0, scan.end);
    const plan = (shape: Shape, text: string) => ({
      sql: text,
      role,
      settings: settings[role][shape],
      timeoutSeconds: limits.timeoutSeconds,
    });

    if (!isRead(scan)) {
      const { queryId } = await executor.buffered(plan("write", statement), signal);
      return { kind: "json", body: writeBody, cached: false, queryId };
    }
    if (format !== "json") {
      const { clause, contentType } = streamFormats[format];
      const streamed = plan("streamed", `${statement}\nFORMAT ${clause}`);
      const { queryId, body } = await executor.streamed(streamed, signal);
      return { kind: "stream", body, contentType, queryId };
    }

    const buffered = plan("buffered", `${statement}\nFORMAT JSON`);
    const fresh = async (shared?: AbortSignal) => {
      const result = await executor.buffered(buffered, shared);
      if (key) cache.set(key, jsonBody(result.body, true));
      return { body: jsonBody(result.body, false), queryId: result.queryId };
    };
    if (!key) return { kind: "json", cached: false, ...(await fresh(signal)) };

    metrics.cacheMisses.inc();
    const result = await flights.join(key, fresh, signal);
    return { kind: "json", cached: false, ...result };
  };

  return {
    run,
    /**
     * A cached result for a request made before by the same role and user with the very same
     * query string: answered before the string is decoded and checked again.
     */
    repeated(request: string): QueryReply | undefined {
      const body = cache.getByAlias(request);
      if (!body) return undefined;
      metrics.cacheHits.inc();
      return { kind: "json", body, cached: true };
    },
    clearCache: () => cache.clear(),
  };
}

export type QueryService = ReturnType<typeof createQueryService>;
