/**
 * Process warnings, as each thread of the executable reports them.
 *
 * kafkajs arms timers with negative delays (the runtime clamps them to 1 ms, as Node does) and
 * Bun reports each one as a `TimeoutNegativeWarning`; those are dropped. Any other warning goes to
 * `report` as its message, so it reaches the log as a line of JSON and not as bare text on stderr.
 * Every thread has its own `process` events, so each one that runs kafkajs calls this.
 */
export function routeProcessWarnings(report: (message: string) => void): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name !== "TimeoutNegativeWarning") report(warning.message);
  });
}
