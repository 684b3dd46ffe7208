import type { Context, MiddlewareHandler, Next } from "hono";
import { routeRoles } from "../auth/roles";
import { type Identity, type TokenService, unauthorized } from "../auth/tokens";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";
import { routeTemplate } from "./access-log";

const bearer = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/;

/**
 * Authenticates every request below the mount point, then checks the role against `routeRoles`.
 * Unknown paths still need a valid token, so probing without one learns nothing. `identified`
 * runs once the caller is known and allowed (the per-user rate limit), without a middleware
 * layer of its own on the path every API request takes.
 */
export function authorize(
  tokens: TokenService,
  identified: (c: Context<AppEnv>) => void = () => {},
): MiddlewareHandler<AppEnv> {
  /** Lets the caller through, once its role may call the route it asked for. */
  const admit = (c: Context<AppEnv>, identity: Identity, next: Next) => {
    c.set("user", identity);
    // A path that no route matched ends in a mount point's wildcard; it becomes a 404 further on.
    const route = routeTemplate(c);
    if (route !== "unmatched" && !route.endsWith("*")) {
      const method = c.req.method === "HEAD" ? "GET" : c.req.method;
      const allowed = routeRoles[`${method} ${route}`] ?? [];
      if (!allowed.includes(identity.role)) {
        throw new ApiError("forbidden", `Role "${identity.role}" may not call ${method} ${route}`);
      }
    }
    identified(c);
    return next();
  };

  // Not an async function: a token seen before is let through without a promise of its own.
  return (c, next) => {
    const header = c.req.header("authorization");
    if (!header) {
      throw new ApiError("unauthorized", "Missing bearer token", {
        headers: { "WWW-Authenticate": 'Bearer realm="auterity-analytics"' },
      });
    }
    // A token seen before is its own proof of shape: only a new one is read with the pattern.
    const known = header.startsWith("Bearer ") ? tokens.known(header.slice(7)) : undefined;
    if (known) return admit(c, known, next);
    const token = bearer.exec(header)?.[1];
    if (!token) throw unauthorized("Authorization must be a Bearer token");
    return tokens.verify(token).then((identity) => admit(c, identity, next));
  };
}
