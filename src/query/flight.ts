import { cancelled } from "./failures";

interface Flight<T> {
  result: Promise<T>;
  controller: AbortController;
  waiting: number;
}

/**
 * Identical work asked for while it is already running joins the running one instead of starting
 * again. The shared work is aborted only when every caller waiting for it has gone away.
 */
export function singleFlight<T>() {
  const flights = new Map<string, Flight<T>>();

  const join = (
    key: string,
    work: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> => {
    if (signal?.aborted) return Promise.reject(cancelled());
    let flight = flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: Flight<T> = { result: work(controller.signal), controller, waiting: 0 };
      const forget = () => {
        if (flights.get(key) === started) flights.delete(key);
      };
      started.result.then(forget, forget);
      flights.set(key, started);
      flight = started;
    }
    const current = flight;
    current.waiting += 1;
    if (!signal) return current.result;

    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        current.waiting -= 1;
        if (current.waiting === 0) {
          // Abandoned work is not joined by later callers; they start afresh.
          if (flights.get(key) === current) flights.delete(key);
          current.controller.abort();
        }
        reject(cancelled());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      current.result.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };

  return {
    join,
    get running() {
      return flights.size;
    },
  };
}
