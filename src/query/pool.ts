import { ApiError } from "../errors";
import { cancelled } from "./failures";

export interface PoolOptions {
  /** Queries allowed to run on ClickHouse at once. */
  maxConcurrent: number;
  /** Queries allowed to wait for a slot; past it a query is refused at once. */
  queueSize: number;
  /** Longest wait for a slot before the query is refused. */
  queueTimeoutMs: number;
}

interface Gauge {
  set(value: number): void;
}

interface Waiter {
  grant: (release: () => void) => void;
  fail: (error: unknown) => void;
}

/** Frees the slot; calling it again does nothing. */
export type Release = () => void;

const busy = (message: string) =>
  new ApiError("queue_full", message, { headers: { "Retry-After": "1" } });

/**
 * Slots for ClickHouse queries: at most `maxConcurrent` run, at most `queueSize` wait in arrival
 * order, and none waits longer than `queueTimeoutMs`.
 */
export function createQueryPool(
  options: PoolOptions,
  gauges: { inFlight?: Gauge; queued?: Gauge } = {},
) {
  let running = 0;
  const queue: Waiter[] = [];
  const report = () => {
    gauges.inFlight?.set(running);
    gauges.queued?.set(queue.length);
  };

  const slot = (): Release => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      if (next) next.grant(slot());
      else running -= 1;
      report();
    };
  };

  const acquire = (signal?: AbortSignal): Promise<Release> => {
    if (signal?.aborted) return Promise.reject(cancelled());
    if (running < options.maxConcurrent) {
      running += 1;
      report();
      return Promise.resolve(slot());
    }
    if (queue.length >= options.queueSize) {
      return Promise.reject(busy("Too many queries are running and waiting; try again shortly"));
    }

    return new Promise<Release>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const at = queue.indexOf(waiter);
        if (at !== -1) queue.splice(at, 1);
        report();
      };
      const waiter: Waiter = {
        grant: (release) => {
          leave();
          resolve(release);
        },
        fail: (error) => {
          leave();
          reject(error);
        },
      };
      const onAbort = () => waiter.fail(cancelled());
      const timer = setTimeout(
        () => waiter.fail(busy(`No query slot became free within ${options.queueTimeoutMs} ms`)),
        options.queueTimeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(waiter);
      report();
    });
  };

  return {
    acquire,
    get running() {
      return running;
    },
    get queued() {
      return queue.length;
    },
  };
}

export type QueryPool = ReturnType<typeof createQueryPool>;
