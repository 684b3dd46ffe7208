import { createApp } from "../../src/app";
import type { ClickHouse } from "../../src/clickhouse/client";
import type { Config } from "../../src/config";
import type { KafkaCluster } from "../../src/kafka/client";
import { createProducer, type EventProducer } from "../../src/kafka/producer";
import { createLogger, type Logger, silentLogger } from "../../src/logger";
import { createMetrics } from "../../src/metrics";
import type { AppDeps } from "../../src/types";
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

// Backends that answer every ping and are otherwise never called.
const idle = { ping: async () => {}, close: async () => {} };

/**
 * The in-process app for tests of the HTTP edge, routes and documents, where ClickHouse and
 * Kafka are not the subject; `deps` replaces any part (a recording producer, a logger).
 */
export async function appWithoutBackends(config: Config, deps: Partial<AppDeps> = {}) {
  return createApp({
    config,
    ...(await identityDeps(config)),
    metrics: createMetrics(),
    logger: silentLogger,
    clickhouse: idle as unknown as ClickHouse,
    kafka: idle as unknown as KafkaCluster,
    producer: idle as unknown as EventProducer,
    startedAt: Date.now(),
    ...deps,
  });
}
