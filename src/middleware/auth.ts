import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { routeRoles } from "../auth/roles";
import { type TokenService, unauthorized } from "../auth/tokens";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

const bearer = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/;

/**
 * Authenticates every request below the mount point, then checks the role against `routeRoles`.
 * Unknown paths still need a valid token, so probing without one learns nothing.
 */
export function authorize(tokens: TokenService): MiddlewareHandler<AppEnv> {
  return async function authorizeRequest(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      throw new ApiError("unauthorized", "Missing bearer token", {
        headers: { "WWW-Authenticate": 'Bearer realm="auterity-analytics"' },
      });
    }
    const token = bearer.exec(header)?.[1];
    if (!token) throw unauthorized("Authorization must be a Bearer token");

    const identity = await tokens.verify(token);
    c.set("user", identity);

    const handler = matchedRoutes(c).findLast((route) => route.handler !== authorizeRequest);
    if (!handler || handler.path.endsWith("*")) return next();

    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    const allowed = routeRoles[`${method} ${handler.path}`] ?? [];
    if (!allowed.includes(identity.role)) {
      throw new ApiError(
        "forbidden",
        `Role "${identity.role}" may not call ${method} ${handler.path}`,
      );
    }
    await next();
  };
}
