import { Hono } from "hono";
import { accessLog } from "./middleware/access-log";
import { authorize } from "./middleware/auth";
import { limitBodies } from "./middleware/body-limit";
import { compression } from "./middleware/compression";
import { notFound, onError } from "./middleware/errors";
import { httpMetrics } from "./middleware/metrics";
import { rateLimits } from "./middleware/rate-limit";
import { requestId } from "./middleware/request-id";
import { docsRoutes } from "./routes/docs";
import { eventsRoutes } from "./routes/events";
import { healthRoutes } from "./routes/health";
import { loginRoutes } from "./routes/login";
import { metricsRoutes } from "./routes/metrics";
import { produceRoutes } from "./routes/produce";
import { queryRoutes } from "./routes/query";
import type { AppDeps, AppEnv } from "./types";

/** The one place that wires middleware and routes; every endpoint is found from here. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { config } = deps;
  const limits = rateLimits(config.rateLimit, deps.metrics);

  app.use("*", requestId());
  app.use("*", httpMetrics(deps.metrics));
  app.use("*", accessLog(deps.logger));
  app.use("*", compression());
  app.use("*", limits.byAddress);
  // A route group with bigger bodies gets its own entry here: path prefix → bytes.
  app.use(
    "*",
    limitBodies(config.maxBodyBytes, {
      "/api/events": config.events.maxBodyBytes,
      "/api/kafka/produce": config.events.maxBodyBytes,
    }),
  );
  app.onError(onError(deps.logger));
  app.notFound(notFound);

  app.route("/", healthRoutes(deps));
  app.route("/", metricsRoutes(deps.metrics, config.metrics.token));
  app.route("/", docsRoutes());
  app.use("/login", limits.byLoginName);
  app.route("/", loginRoutes(deps.login));

  app.use("/api/*", authorize(deps.tokens, limits.byUser));
  app.route("/api", produceRoutes(deps));
  app.route("/api", eventsRoutes(deps));
  app.route("/api", queryRoutes(deps));

  return app;
}
