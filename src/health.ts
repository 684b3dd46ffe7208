import type { AppDeps } from "./types";

export interface BackendState {
  status: "up" | "down";
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  ready: boolean;
  clickhouse: BackendState;
  kafka: BackendState;
}

async function probe(check: () => Promise<void>): Promise<BackendState> {
  const started = performance.now();
  try {
    await check();
    return { status: "up", latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    // Only the kind of failure is reported: messages may carry hosts or credentials.
    const reason =
      error instanceof Error && /timed out|abort/i.test(error.message) ? "timeout" : "unreachable";
    return { status: "down", latencyMs: Math.round(performance.now() - started), error: reason };
  }
}

/** Asks both backends at once, each bounded by the health timeout. */
export async function checkBackends(deps: Pick<AppDeps, "clickhouse" | "kafka" | "config">) {
  const ms = deps.config.healthTimeoutMs;
  const [clickhouse, kafka] = await Promise.all([
    probe(() => deps.clickhouse.ping(ms)),
    probe(() => deps.kafka.ping(ms)),
  ]);
  const report: HealthReport = {
    ready: clickhouse.status === "up" && kafka.status === "up",
    clickhouse,
    kafka,
  };
  return report;
}
