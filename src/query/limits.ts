import type { ClickHouseSettings } from "@clickhouse/client-web";
import type { Config, QueryLimits } from "../config";

export type QueryRole = keyof Config["query"]["limits"];
/** buffered: a JSON body the API holds; streamed: NDJSON or CSV passed through; write: no rows. */
export type Shape = "buffered" | "streamed" | "write";

export const queryRoles: readonly QueryRole[] = ["admin", "user"];

export function isQueryRole(role: string): role is QueryRole {
  return (queryRoles as readonly string[]).includes(role);
}

/**
 * The ClickHouse settings sent with every query of a role, as URL parameters of that one request.
 * Read-only mode for the `user` role comes last so that it forbids the SQL, not our own settings,
 * from changing anything. Rows are read to the end on the server before the reply starts
 * (wait_end_of_query), so an error late in a query is still an error status, never a body that
 * looks complete.
 */
export function settingsFor(
  role: QueryRole,
  limits: QueryLimits,
  shape: Shape,
  maxResultBytes: number,
): ClickHouseSettings {
  const settings: ClickHouseSettings = {
    max_execution_time: limits.timeoutSeconds,
    max_memory_usage: String(limits.maxMemoryBytes),
  };
  if (shape !== "write") {
    settings.max_result_rows = String(limits.maxRows);
    if (shape === "buffered") settings.max_result_bytes = String(maxResultBytes);
    settings.result_overflow_mode = "throw";
    settings.wait_end_of_query = 1;
  }
  if (role === "user") settings.readonly = "1";
  return settings;
}

/** Every role's settings for every shape, computed once: the hot path only looks them up. */
export function settingsTable(config: Config["query"]) {
  const table = {} as Record<QueryRole, Record<Shape, ClickHouseSettings>>;
  for (const role of queryRoles) {
    const limits = config.limits[role];
    table[role] = {
      buffered: settingsFor(role, limits, "buffered", config.maxResultBytes),
      streamed: settingsFor(role, limits, "streamed", config.maxResultBytes),
      write: settingsFor(role, limits, "write", config.maxResultBytes),
    };
  }
  return table;
}
