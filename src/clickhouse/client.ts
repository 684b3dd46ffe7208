import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from "@clickhouse/client-web";
import type { Config } from "../config";

export interface RunParams {
  /** The complete statement, FORMAT clause included when rows are wanted. */
  sql: string;
  /** Chosen by the caller, so that it can later stop the query with `kill`. */
  queryId: string;
  settings: ClickHouseSettings;
  /** Aborting it drops the HTTP request; only `kill` stops the query on the server. */
  signal: AbortSignal;
}

/** What the rest of the app needs from ClickHouse; tests may pass a real one or their own. */
export interface ClickHouse {
  /** Resolves when the server answers a trivial query within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Runs a statement that returns no rows (DDL, KILL, INSERT … SELECT). */
  command(sql: string, options?: { database?: string; timeoutMs?: number }): Promise<void>;
  /**
   * Sends one statement as written and resolves with the response body once the server answers.
   * No timeout of its own: the caller bounds it through `signal`.
   */
  run(params: RunParams): Promise<ReadableStream<Uint8Array>>;
  /** Asks the server to stop a running query (KILL QUERY, asynchronous on the server). */
  kill(queryId: string, timeoutMs: number): Promise<void>;
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
  // User queries carry their own deadline (the role's time limit) through an abort signal. The
  // client's advice for long timeouts (progress headers) does not apply: headers sent early would
  // fix the status at 200 before a late error is known.
  const queryClient = createClient({
    url: config.url,
    username: config.user,
    password: config.password,
    database: config.database,
    application: "auterity-analytics",
    request_timeout: 24 * 3600_000,
    keep_alive: { enabled: true },
    log: { level: ClickHouseLogLevel.ERROR },
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

    async run({ sql, queryId, settings, signal }) {
      const result = await queryClient.exec({
        query: sql,
        query_id: queryId,
        clickhouse_settings: settings,
        abort_signal: signal,
      });
      return result.stream;
    },

    async kill(queryId, timeoutMs) {
      const id = queryId.replace(/[^A-Za-z0-9-]/g, "");
      await client.command({
        query: `KILL QUERY WHERE query_id = '${id}'`,
        abort_signal: AbortSignal.timeout(timeoutMs),
      });
    },

    async close() {
      await Promise.all([client.close(), rootClient.close(), queryClient.close()]);
    },
  };
}
