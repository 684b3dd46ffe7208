import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../logger";
import type { AppEnv } from "../types";

/** The route template that answered, never the raw path, so logs and metrics stay low-cardinality. */
export function routeTemplate(c: Context): string {
  const path = routePath(c, -1);
  return path === "*" || path === "/*" || path === "" ? "unmatched" : path;
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
