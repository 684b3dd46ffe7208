import { ApiError } from "./errors";

export interface SlotOptions {
  /** Holders allowed at once. */
  maxConcurrent: number;
  /** Callers allowed to wait for a slot; past it a caller is refused at once. */
  queueSize: number;
  /** Longest wait for a slot before the caller is refused. */
  queueTimeoutMs: number;
}

export interface Gauge {
  set(value: number): void;
}

export interface SlotUse {
  /** What holds a slot, as refusals name it: `{ one: "query", many: "queries" }`. */
  noun: { one: string; many: string };
  /** The error for a caller whose signal aborts while it waits; else the signal's reason. */
  cancelled?: () => unknown;
  inFlight?: Gauge;
  queued?: Gauge;
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
 * Slots for costly work (ClickHouse queries, password checks): at most `maxConcurrent` run, at
 * most `queueSize` wait in arrival order, and none waits longer than `queueTimeoutMs`. A refusal
 * is a 503 with Retry-After.
 */
export function createSlots(options: SlotOptions, use: SlotUse) {
  let running = 0;
  const queue: Waiter[] = [];
  const report = () => {
    use.inFlight?.set(running);
    use.queued?.set(queue.length);
  };
  const cancelled = (signal?: AbortSignal) => (use.cancelled ? use.cancelled() : signal?.reason);

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
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    if (running < options.maxConcurrent) {
      running += 1;
      report();
      return Promise.resolve(slot());
    }
    if (queue.length >= options.queueSize) {
      const { many } = use.noun;
      return Promise.reject(busy(`Too many ${many} are running and waiting; try again shortly`));
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
      const onAbort = () => waiter.fail(cancelled(signal));
      const timer = setTimeout(
        () =>
          waiter.fail(
            busy(`No ${use.noun.one} slot became free within ${options.queueTimeoutMs} ms`),
          ),
        options.queueTimeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(waiter);
      report();
    });
  };

  return {
    acquire,
    /** Runs `work` inside a slot and frees the slot when it settles. */
    async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const release = await acquire(signal);
      try {
        return await work();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get queued() {
      return queue.length;
    },
  };
}

export type Slots = ReturnType<typeof createSlots>;
