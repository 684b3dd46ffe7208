import { createApp } from "./app";
import { loginService } from "./auth/login";
import { tokenService } from "./auth/tokens";
import { loadUsers } from "./auth/users";
import { createClickHouse } from "./clickhouse/client";
import type { Config } from "./config";
import { createKafkaCluster } from "./kafka/client";
import { producerOnThread } from "./kafka/producer-thread";
import { flushLogs, type Logger } from "./logger";
import { createMetrics } from "./metrics";
import { startMetricsListener } from "./routes/metrics";
import { createSink } from "./sink/sink";
import { version } from "./version";

export interface RunningServer {
  url: string;
  /** The PROMETHEUS_PORT listener, when configured. */
  metricsUrl?: string;
  /** Stops accepting, lets in-flight requests finish, closes the backends. */
  stop(reason: string): Promise<void>;
}

/** Starts the API and returns once it listens. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const users = await loadUsers(config.auth.usersFile);
  const tokens = tokenService(config.auth);
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = createKafkaCluster(config.kafka, logger);
  const metrics = createMetrics();
  const login = loginService(users, tokens, {
    maxConcurrent: config.auth.loginMaxConcurrent,
    inFlight: metrics.loginChecksInFlight,
    queued: metrics.loginChecksQueued,
  });
  const producer = producerOnThread(config, metrics, logger);
  const app = createApp({
    config,
    logger,
    metrics,
    clickhouse,
    kafka,
    producer,
    tokens,
    login,
    startedAt: Date.now(),
  });

  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    fetch: app.fetch,
    // Long analytics queries may stream for a while before their first byte.
    idleTimeout: 120,
  });
  const url = `http://${server.hostname}:${server.port}`;
  logger.info("listening", { url, version, pid: process.pid });

  // The sink joins its group in the background: the API serves even while Kafka is away.
  const sink = config.sinkEnabled
    ? createSink({ config, kafka, clickhouse, producer, metrics, logger })
    : undefined;
  void sink?.start();

  const metricsListener = startMetricsListener(config, metrics, logger);

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      logger.info("stopping", { reason, inFlight: server.pendingRequests });
      await Promise.all([server.stop(), metricsListener?.stop()]);
      // The sink may still send dead letters, so it stops before the producer flushes.
      await sink?.stop();
      await producer.stop();
      logger.info("producer flushed");
      await Promise.allSettled([clickhouse.close(), kafka.close()]);
      logger.info("stopped");
    })();
    return stopping;
  };
  return { url, metricsUrl: metricsListener?.url, stop };
}

/** SIGTERM and SIGINT stop the server; past the deadline open connections are cut. */
export function stopOnSignals(
  running: Pick<RunningServer, "stop">,
  config: Config,
  logger: Logger,
) {
  const onSignal = (signal: NodeJS.Signals) => {
    const deadline = setTimeout(() => {
      logger.error("shutdown deadline reached, exiting with requests still open", {
        timeoutMs: config.shutdownTimeoutMs,
      });
      flushLogs();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    running.stop(signal).then(() => {
      clearTimeout(deadline);
      flushLogs();
      process.exit(0);
    });
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}
