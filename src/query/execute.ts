import type { ClickHouseSettings } from "@clickhouse/client-web";
import type { ClickHouse } from "../clickhouse/client";
import type { ApiError } from "../errors";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { Slots } from "../slots";
import { cancelled, queryError, timedOut } from "./failures";

export interface Plan {
  sql: string;
  role: string;
  settings: ClickHouseSettings;
  timeoutSeconds: number;
}

export interface Started {
  queryId: string;
  body: ReadableStream<Uint8Array>;
  /** Ends the query's turn: frees its slot and records its outcome. Safe to call twice. */
  finish(error?: unknown): ApiError | undefined;
}

interface ExecuteDeps {
  clickhouse: ClickHouse;
  pool: Slots;
  metrics: Metrics;
  logger: Logger;
  /** Strings that must never reach a client inside a ClickHouse message. */
  redact: readonly string[];
}

/** ClickHouse stops a query at its time limit; the API waits this much longer before it does. */
const graceMs = 5_000;
const killTimeoutMs = 5_000;

/**
 * Runs one statement on ClickHouse inside a pool slot. The query gets an id of ours, so that when
 * its caller goes away or the API's own deadline passes the query is stopped on the server too:
 * dropping the HTTP request alone does not stop it on older servers.
 */
export function queryExecutor(deps: ExecuteDeps) {
  const { clickhouse, pool, metrics, logger } = deps;

  const kill = (queryId: string) => {
    clickhouse.kill(queryId, killTimeoutMs).catch((error) => {
      logger.warn("query kill failed", { queryId, error: String(error) });
    });
  };

  /** Resolves once ClickHouse answers; the caller reads the body and then calls `finish`. */
  const start = async (plan: Plan, signal?: AbortSignal): Promise<Started> => {
    const release = await pool.acquire(signal).catch((error: ApiError) => {
      metrics.queryErrors.inc({ code: error.code });
      throw error;
    });
    const queryId = crypto.randomUUID();
    const started = performance.now();
    const controller = new AbortController();
    let stopped: "client" | "deadline" | undefined;
    let answered = false;

    const stop = (why: "client" | "deadline") => {
      if (stopped) return;
      stopped = why;
      controller.abort();
      if (!answered) kill(queryId);
    };
    const onAbort = () => stop("client");
    const deadline = () => setTimeout(() => stop("deadline"), plan.timeoutSeconds * 1000 + graceMs);
    let timer = deadline();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) stop("client");

    let finished = false;
    const finish = (error?: unknown): ApiError | undefined => {
      if (finished) return undefined;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      release();
      let failure: ApiError | undefined;
      if (error !== undefined || stopped) {
        if (stopped === "client") failure = cancelled();
        else if (stopped === "deadline") failure = timedOut(plan.timeoutSeconds);
        else failure = queryError(error, deps.redact);
        metrics.queryErrors.inc({ code: failure.code });
      }
      const outcome = failure?.code ?? "ok";
      metrics.queryDuration.observe(
        { role: plan.role, outcome },
        (performance.now() - started) / 1000,
      );
      return failure;
    };

    try {
      const body = await clickhouse.run({
        sql: plan.sql,
        queryId,
        settings: plan.settings,
        signal: controller.signal,
      });
      answered = true;
      // The query is over on the server; sending its rows gets a deadline of its own.
      clearTimeout(timer);
      timer = deadline();
      return { queryId, body, finish };
    } catch (error) {
      throw finish(error) ?? queryError(error, deps.redact);
    }
  };

  /** Runs a statement and reads its whole answer. */
  const buffered = async (plan: Plan, signal?: AbortSignal) => {
    const query = await start(plan, signal);
    try {
      const body = new Uint8Array(await new Response(query.body).arrayBuffer());
      query.finish();
      return { queryId: query.queryId, body };
    } catch (error) {
      throw query.finish(error) ?? queryError(error, deps.redact);
    }
  };

  /** Runs a statement and hands its answer on as a stream that frees the slot when done. */
  const streamed = async (plan: Plan, signal?: AbortSignal) => {
    const query = await start(plan, signal);
    const reader = query.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            query.finish();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          controller.error(query.finish(error) ?? error);
        }
      },
      async cancel(reason) {
        query.finish(cancelled());
        await reader.cancel(reason).catch(() => {});
      },
    });
    return { queryId: query.queryId, body };
  };

  return { buffered, streamed };
}

export type QueryExecutor = ReturnType<typeof queryExecutor>;
