import { type ClickHouseClient, createClient } from "@clickhouse/client-web";
import type { Config } from "../config";

/** What the rest of the app needs from ClickHouse; tests may pass a real one or their own. */
export interface ClickHouse {
  /** Resolves when the server answers a trivial query within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Runs a statement that returns no rows (DDL, KILL, INSERT … SELECT). */
  command(sql: string, options?: { database?: string; timeoutMs?: number }): Promise<void>;
  /** The raw client, for query paths that manage their own settings and streams. */
  readonly client: ClickHouseClient;
  close(): Promise<void>;
}

export function createClickHouse(config: Config["clickhouse"]): ClickHouse {
  const client = createClient({
    url: config.url,
    username: config.user,
    password: config.password,
    database: config.database,
    application: "auterity-analytics",
    request_timeout: 60_000,
    keep_alive: { enabled: true },
  });
  // Statements that must run before the database exists (migrate) use a client without one.
  const rootClient = createClient({
    url: config.url,
    username: config.user,
    password: config.password,
    request_timeout: 60_000,
  });

  return {
    client,

    async ping(timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs);
      const result = await rootClient.query({
        query: "SELECT 1",
        format: "TabSeparated",
        abort_signal: signal,
      });
      await result.text();
    },

    async command(sql, options = {}) {
      const target = options.database === "" ? rootClient : client;
      const signal = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
      await target.command({ query: sql, abort_signal: signal });
    },

    async close() {
      await Promise.all([client.close(), rootClient.close()]);
    },
  };
}
