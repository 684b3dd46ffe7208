import { createClickHouse } from "../clickhouse/client";
import type { Config } from "../config";
import { createKafkaCluster } from "../kafka/client";
import { createProducer } from "../kafka/producer";
import type { Logger } from "../logger";
import { createMetrics } from "../metrics";
import { startMetricsListener } from "../routes/metrics";
import { createSink } from "./sink";

/**
 * The sink as a process of its own (`auterity-analytics sink`), so API and sink scale apart.
 * Its metrics (lag, rows, dead letters) are served on PROMETHEUS_PORT when that is set.
 */
export async function runSink(config: Config, logger: Logger) {
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = createKafkaCluster(config.kafka, logger);
  const metrics = createMetrics();
  const producer = createProducer(kafka.kafka, config.kafka, metrics, logger);
  const sink = createSink({ config, kafka, clickhouse, producer, metrics, logger });
  void sink.start();

  const metricsListener = startMetricsListener(config, metrics, logger);

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      logger.info("stopping", { reason });
      await sink.stop();
      await producer.stop();
      await Promise.allSettled([metricsListener?.stop(), clickhouse.close(), kafka.close()]);
      logger.info("stopped");
    })();
    return stopping;
  };
  return { stop };
}
