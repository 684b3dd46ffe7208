/** Thrown when the sink gives up on a batch because the process is stopping. */
export class SinkStopped extends Error {
  override name = "SinkStopped";
}

/** 250 ms doubling per attempt up to `maxMs`, with ±20 % jitter so instances do not align. */
export function backoffDelay(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 250 * 2 ** Math.min(attempt - 1, 20));
  return Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
}

export interface RetryOptions {
  maxDelayMs: number;
  /** Checked before each attempt and while waiting; true ends the retries with SinkStopped. */
  abandoned(): boolean;
  onFailure(error: unknown, attempt: number, retryInMs: number): void;
}

async function pause(ms: number, abandoned: () => boolean) {
  const until = Date.now() + ms;
  while (!abandoned() && Date.now() < until) {
    await Bun.sleep(Math.min(250, until - Date.now()));
  }
}

/** Runs `work` until it succeeds; every failure waits a little longer than the one before. */
export async function retryUntilDone<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (options.abandoned()) throw new SinkStopped("sink stopped before the batch was stored");
    try {
      return await work();
    } catch (error) {
      if (options.abandoned()) {
        throw new SinkStopped("sink stopped before the batch was stored", { cause: error });
      }
      const delay = backoffDelay(attempt, options.maxDelayMs);
      options.onFailure(error, attempt, delay);
      await pause(delay, options.abandoned);
    }
  }
}
