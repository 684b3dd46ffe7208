import { createApp } from "../../src/app";
import type { Config } from "../../src/config";
import { createProducer } from "../../src/kafka/producer";
import { createLogger, type Logger } from "../../src/logger";
import { createMetrics } from "../../src/metrics";
import { identityDeps } from "./identity";
import { realBackends } from "./stack";

/** The in-process app on the real backends, with its log lines captured for assertions. */
export async function appOnRealBackends(config: Config) {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = createLogger("debug", (line) => lines.push(JSON.parse(line)));
  const backends = realBackends(config);
  const identity = await identityDeps(config);
  const metrics = createMetrics();
  const producer = createProducer(backends.kafka.kafka, config.kafka, metrics, logger);
  const app = createApp({
    config,
    logger,
    metrics,
    ...backends,
    producer,
    ...identity,
    startedAt: Date.now(),
  });
  const close = async () => {
    await producer.stop();
    await Promise.allSettled([backends.clickhouse.close(), backends.kafka.close()]);
  };
  return { app, logs: lines, metrics, producer, ...backends, close };
}
