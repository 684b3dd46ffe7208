import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

/**
 * Refuses request bodies over `maxBytes` with a JSON 413, judged by Content-Length when given and
 * by counting the bytes of a chunked body otherwise. `overrides` gives a route group (a path
 * prefix) its own limit; the longest matching prefix wins.
 */
export function limitBodies(
  maxBytes: number,
  overrides: Record<string, number> = {},
): MiddlewareHandler<AppEnv> {
  const limiter = (bytes: number) =>
    bodyLimit({
      maxSize: bytes,
      onError: () => {
        throw new ApiError("payload_too_large", `Request body is larger than ${bytes} bytes`);
      },
    });
  const fallback = limiter(maxBytes);
  const byPrefix = Object.entries(overrides)
    .sort(([a], [b]) => b.length - a.length)
    .map(([prefix, bytes]) => [prefix, limiter(bytes)] as const);

  return (c, next) => {
    // A request without a body has nothing to count; most reads are such.
    if (!c.req.raw.body) return next();
    const path = c.req.path;
    const chosen = byPrefix.find(([prefix]) => path.startsWith(prefix))?.[1] ?? fallback;
    return chosen(c, next);
  };
}
