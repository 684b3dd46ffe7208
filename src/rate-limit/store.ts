export interface WindowCount {
  allowed: boolean;
  remaining: number;
  /** When the current window ends, in epoch milliseconds. */
  resetAt: number;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Fixed-window counters with a hard cap on the number of keys. Every window has the same length
 * and a key is re-inserted when its window starts, so the Map's insertion order is also the order
 * of expiry: expired keys are dropped from the front, and when the cap is reached the key whose
 * window ends soonest is forgotten, which only ever errs towards letting a request through.
 */
export function createWindowStore(options: {
  windowMs: number;
  maxKeys: number;
  now?: () => number;
}) {
  const { windowMs, maxKeys, now = Date.now } = options;
  const windows = new Map<string, Window>();

  const dropExpired = (at: number) => {
    for (const [key, window] of windows) {
      if (window.resetAt > at) return;
      windows.delete(key);
    }
  };

  const hit = (key: string, limit: number): WindowCount => {
    const at = now();
    dropExpired(at);
    let window = windows.get(key);
    if (!window) {
      if (windows.size >= maxKeys) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      window = { count: 0, resetAt: at + windowMs };
      windows.set(key, window);
    }
    const allowed = window.count < limit;
    if (allowed) window.count += 1;
    return { allowed, remaining: Math.max(0, limit - window.count), resetAt: window.resetAt };
  };

  /** Gives back one hit of the key's current window (a request that turned out not to count). */
  const refund = (key: string) => {
    const window = windows.get(key);
    if (window && window.count > 0 && window.resetAt > now()) window.count -= 1;
  };

  return {
    hit,
    refund,
    get size() {
      return windows.size;
    },
  };
}

export type WindowStore = ReturnType<typeof createWindowStore>;
