import type { ClickHouse } from "../clickhouse/client";

/** A database created meanwhile is refused to the `user` role at the latest this much later. */
const refreshMs = 10_000;
const lookupTimeoutMs = 5_000;

/**
 * The existing databases the `user` role may not name, read from system.databases through the
 * API's own account and kept briefly. Concurrent callers share one lookup.
 */
export function databaseCatalog(
  clickhouse: Pick<ClickHouse, "client">,
  allowed: readonly string[],
  now: () => number = Date.now,
) {
  const allowedSet = new Set(allowed);
  let others: ReadonlySet<string> = new Set();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<ReadonlySet<string>> | undefined;

  const lookup = async () => {
    const result = await clickhouse.client.query({
      query: "SELECT name FROM system.databases",
      format: "JSONEachRow",
      abort_signal: AbortSignal.timeout(lookupTimeoutMs),
    });
    const rows = await result.json<{ name: string }>();
    others = new Set(rows.map((row) => row.name).filter((name) => !allowedSet.has(name)));
    fetchedAt = now();
    return others;
  };

  return {
    /** Names of the databases outside the allow-list. */
    others(): Promise<ReadonlySet<string>> | ReadonlySet<string> {
      if (now() - fetchedAt < refreshMs) return others;
      pending ??= lookup().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

export type DatabaseCatalog = ReturnType<typeof databaseCatalog>;
