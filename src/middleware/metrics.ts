import type { MiddlewareHandler } from "hono";
import type { Metrics } from "../metrics";
import type { AppEnv } from "../types";
import { routeTemplate } from "./access-log";

const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Counts and times every request by method, route template and status. */
export function httpMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const labels = {
      // Any token is a valid method on the wire; unknown ones share a label to bound cardinality.
      method: knownMethods.has(c.req.method) ? c.req.method : "OTHER",
      route: routeTemplate(c),
      status: String(c.res.status),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
  };
}
