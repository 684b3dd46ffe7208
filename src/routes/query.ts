import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../errors";
import { createQueryService, type QueryReply, queryFormats, requestKey } from "../query/service";
import type { AppDeps, AppEnv } from "../types";
import { requireJson, validate, validQuery } from "../validation";

const sql = z.string().min(1, "must not be empty").describe("One ClickHouse SQL statement");
const format = z
  .enum(queryFormats)
  .default("json")
  .describe("json: one JSON object; ndjson or csv: rows passed through, never held by the API");

export const queryParams = z.object({ sql, format });
export const queryBody = z.object({ sql, format });

/** The `json` reply: ClickHouse's FORMAT JSON answer plus `cached`. */
export const queryResult = z.object({
  data: z.array(z.record(z.string(), z.unknown())).describe("The rows, one object per row"),
  cached: z.boolean().describe("True when served from the cache (also X-Cache: HIT)"),
  meta: z.array(z.object({ name: z.string(), type: z.string() })).optional(),
  rows: z.number().int().optional(),
  rows_before_limit_at_least: z.number().int().optional(),
  statistics: z
    .object({ elapsed: z.number(), rows_read: z.number(), bytes_read: z.number() })
    .optional()
    .describe("Of the run that produced the result"),
});
export const clearCacheResult = z.object({ message: z.literal("Cache cleared") });

const jsonType = "application/json; charset=utf-8";
const noStore = "private, no-store";

function reply(c: Context<AppEnv>, result: QueryReply): Response {
  const headers: Record<string, string> = {
    "X-Cache": result.kind === "json" && result.cached ? "HIT" : "MISS",
    "Cache-Control": noStore,
    "Content-Type": result.kind === "json" ? jsonType : result.contentType,
  };
  if (result.queryId) headers["X-Query-Id"] = result.queryId;
  return c.body(result.body, 200, headers);
}

function identity(c: Context<AppEnv>) {
  const user = c.get("user");
  if (!user) throw new ApiError("unauthorized", "Missing bearer token");
  return user;
}

/** GET and POST /clickhouse/query and POST /clickhouse/clear-cache, mounted under /api. */
export function queryRoutes(deps: AppDeps) {
  const queries = createQueryService(deps);

  return new Hono<AppEnv>()
    .get("/clickhouse/query", (c): Response | Promise<Response> => {
      // Not an async function: a repeat is answered without a promise of its own.
      const caller = identity(c);
      const { url } = c.req;
      const query = url.indexOf("?");
      const request = requestKey(caller, query === -1 ? "" : url.slice(query + 1));
      const repeated = queries.repeated(request);
      if (repeated) return reply(c, repeated);
      const { sql, format } = validQuery(c, queryParams);
      const signal = c.req.raw.signal;
      const running = queries.run({ sql, format, identity: caller, signal, request });
      return running.then((result) => reply(c, result));
    })
    .post("/clickhouse/query", requireJson, validate("json", queryBody), async (c) => {
      const { sql, format } = c.req.valid("json");
      const signal = c.req.raw.signal;
      return reply(c, await queries.run({ sql, format, identity: identity(c), signal }));
    })
    .post("/clickhouse/clear-cache", (c) => {
      queries.clearCache();
      return c.json({ message: "Cache cleared" });
    });
}
