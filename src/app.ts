import { Hono } from "hono";
import { accessLog } from "./middleware/access-log";
import { authorize } from "./middleware/auth";
import { notFound, onError } from "./middleware/errors";
import { requestId } from "./middleware/request-id";
import { healthRoutes } from "./routes/health";
import { loginRoutes } from "./routes/login";
import type { AppDeps, AppEnv } from "./types";

/** The one place that wires middleware and routes; every endpoint is found from here. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  app.use("*", requestId());
  app.use("*", accessLog(deps.logger));
  app.onError(onError(deps.logger));
  app.notFound(notFound);

  app.route("/", healthRoutes(deps));
  app.route("/", loginRoutes(deps.login));

  app.use("/api/*", authorize(deps.tokens));

  return app;
}
