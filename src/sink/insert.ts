import type { ClickHouse } from "../clickhouse/client";
import type { EventRow } from "./rows";

/**
 * ClickHouse error codes that blame the inserted data rather than the server: parse and
 * conversion failures (6, 26, 27, 38, 41, 53, 69, 70, 72), incorrect data (117), oversized
 * strings (131). Anything else (server down, table missing, memory) is worth retrying as it is.
 */
const dataErrors = new Set([6, 26, 27, 38, 41, 53, 69, 70, 72, 117, 131]);
const tooManyPartitions = 252;

/** The server's error code: the client parses it on current releases, 18.16 only has text. */
export function clickhouseCode(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^\d+$/.test(code)) return Number(code);
  const match = /Code: (\d+)/.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

/** True when a smaller insert can succeed where this one failed. */
export function blamesData(error: unknown): boolean {
  // Every row has the same fields, so a field the table lacks means the table is older than this
  // version (migrate was not run): waiting for the migration loses nothing, dead letters would.
  if (/Unknown field found/i.test((error as Error)?.message ?? "")) return false;
  const code = clickhouseCode(error);
  if (code === tooManyPartitions) {
    // The same code means "merges are behind" (wait) or "one insert spans too many months" (split).
    return /partitions for (a )?single insert/i.test((error as Error).message);
  }
  return code !== undefined && dataErrors.has(code);
}

/** The first line of an error, short enough for a log field or a Kafka header. */
export function summary(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0] ?? text;
  return line.replace(/e\.displayText\(\) = /, "").slice(0, 300);
}

export type InsertRows = (rows: EventRow[]) => Promise<void>;

export function eventsInsert(clickhouse: ClickHouse, timeoutMs: number): InsertRows {
  return async (rows) => {
    // Not AbortSignal.timeout: its timer would keep the signal, and through the client's abort
    // handler the whole request body, alive for the full timeout after every insert.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await clickhouse.client.insert({
        table: "events",
        values: rows,
        format: "JSONEachRow",
        abort_signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface Refused<T> {
  item: T;
  reason: string;
}

/**
 * Inserts every item's row. When ClickHouse blames the data, the batch is halved until the rows
 * it refuses stand alone, so one bad row cannot hold back the rest; those come back as refused.
 * Any other error is thrown for the caller to retry.
 */
export async function insertOrIsolate<T extends { row?: EventRow }>(
  items: T[],
  insert: InsertRows,
): Promise<Refused<T>[]> {
  const rows = items.flatMap((item) => (item.row ? [item.row] : []));
  if (rows.length === 0) return [];
  try {
    await insert(rows);
    return [];
  } catch (error) {
    if (!blamesData(error)) throw error;
    const [only] = items;
    if (items.length === 1 && only) {
      return [{ item: only, reason: `clickhouse refused the row: ${summary(error)}` }];
    }
    const half = Math.ceil(items.length / 2);
    const first = await insertOrIsolate(items.slice(0, half), insert);
    const second = await insertOrIsolate(items.slice(half), insert);
    return [...first, ...second];
  }
}
