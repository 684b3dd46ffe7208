import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../logger";
import type { AppEnv } from "../types";

/**
 * The route template that answers, never the raw path, so logs and metrics stay low-cardinality.
 * Routing is done before the first middleware runs, so it is worked out once and remembered.
 */
export function routeTemplate(c: Context<AppEnv>): string {
  const known = c.get("route");
  if (known !== undefined) return known;
  const path = routePath(c, -1);
  const route = path === "*" || path === "/*" || path === "" ? "unmatched" : path;
  c.set("route", route);
  return route;
}

/** One JSON line per request, written after the response is known. */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const user = c.get("user");
    logger.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: routeTemplate(c),
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      user: user?.name,
      role: user?.role,
    });
  };
}
