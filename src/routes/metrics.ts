import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import type { Config } from "../config";
import { ApiError } from "../errors";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { notFound, onError } from "../middleware/errors";
import { requestId } from "../middleware/request-id";
import type { AppEnv } from "../types";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** With a scrape token configured, only a caller that presents it may read the metrics. */
function scrapeToken(token: string | undefined): MiddlewareHandler<AppEnv> {
  const expected = token === undefined ? undefined : digest(token);
  return async (c, next) => {
    if (expected) {
      const presented = /^Bearer +(\S+)$/.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
      // Digests have one length, so the comparison takes the same time for any guess.
      if (!timingSafeEqual(digest(presented), expected)) {
        throw new ApiError("unauthorized", "Metrics need the scrape token", {
          headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
        });
      }
    }
    await next();
  };
}

export function metricsRoutes(metrics: Metrics, token: string | undefined) {
  return new Hono<AppEnv>().get("/metrics", scrapeToken(token), async (c) => {
    c.header("Content-Type", metrics.registry.contentType);
    c.header("Cache-Control", "no-store");
    return c.body(await metrics.registry.metrics());
  });
}

/** The app behind PROMETHEUS_PORT: /metrics and nothing else. */
export function metricsOnlyApp(metrics: Metrics, token: string | undefined, logger: Logger) {
  const app = new Hono<AppEnv>();
  app.use("*", requestId());
  app.onError(onError(logger));
  app.notFound(notFound);
  app.route("/", metricsRoutes(metrics, token));
  return app;
}

/**
 * The second listener on PROMETHEUS_PORT, when that is set; the API and the lone sink share it.
 * Returns its address and a stop, or undefined when there is none.
 */
export function startMetricsListener(config: Config, metrics: Metrics, logger: Logger) {
  if (config.metrics.port === undefined) return undefined;
  const server = Bun.serve({
    hostname: config.host,
    port: config.metrics.port,
    fetch: metricsOnlyApp(metrics, config.metrics.token, logger).fetch,
  });
  const url = `http://${server.hostname}:${server.port}`;
  logger.info("metrics listening", { url });
  return { url, stop: () => server.stop() };
}
