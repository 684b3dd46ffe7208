import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
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
