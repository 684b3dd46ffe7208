import { createApp } from "./app";
import { loginService } from "./auth/login";
import { tokenService } from "./auth/tokens";
import { loadUsers } from "./auth/users";
import { createClickHouse } from "./clickhouse/client";
import type { Config } from "./config";
import { createKafkaCluster } from "./kafka/client";
import type { Logger } from "./logger";
import { createMetrics } from "./metrics";
import { version } from "./version";

export interface RunningServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes the backends. */
  stop(reason: string): Promise<void>;
}

/** Starts the API and returns once it listens. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const users = await loadUsers(config.auth.usersFile);
  const tokens = tokenService(config.auth);
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = createKafkaCluster(config.kafka, logger);
  const login = loginService(users, tokens);
  const metrics = createMetrics();
  const app = createApp({
    config,
    logger,
    metrics,
    clickhouse,
    kafka,
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

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      logger.info("stopping", { reason, inFlight: server.pendingRequests });
      await server.stop();
      await Promise.allSettled([clickhouse.close(), kafka.close()]);
      logger.info("stopped");
    })();
    return stopping;
  };
  return { url, stop };
}

/** SIGTERM and SIGINT stop the server; past the deadline open connections are cut. */
export function stopOnSignals(running: RunningServer, config: Config, logger: Logger) {
  const onSignal = (signal: NodeJS.Signals) => {
    const deadline = setTimeout(() => {
      logger.error("shutdown deadline reached, exiting with requests still open", {
        timeoutMs: config.shutdownTimeoutMs,
      });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    running.stop(signal).then(() => {
      clearTimeout(deadline);
      process.exit(0);
    });
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}
