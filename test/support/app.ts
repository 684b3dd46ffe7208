import { createApp } from "../../src/app";
import type { Config } from "../../src/config";
import { createLogger, type Logger } from "../../src/logger";
import { realBackends } from "./stack";

/** The in-process app on the real backends, with its log lines captured for assertions. */
export function appOnRealBackends(config: Config) {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = createLogger("debug", (line) => lines.push(JSON.parse(line)));
  const backends = realBackends(config);
  const app = createApp({ config, logger, ...backends, startedAt: Date.now() });
  const close = async () => {
    await Promise.allSettled([backends.clickhouse.close(), backends.kafka.close()]);
  };
  return { app, logs: lines, ...backends, close };
}
