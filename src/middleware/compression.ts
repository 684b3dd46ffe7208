import type { MiddlewareHandler } from "hono";
import { compress } from "hono/compress";

/**
 * hono's compression, with `Vary: Accept-Encoding` set before the reply is made. Left to
 * `compress`, it is added to the finished reply, and hono copies the whole Response to add a
 * header: on every JSON reply, compressed or not, that copy cost more than the handler did.
 * A request that accepts no encoding skips the reply checks altogether (most API clients).
 */
export function compression(): MiddlewareHandler {
  const compressing = compress();
  return (c, next) => {
    c.header("Vary", "Accept-Encoding");
    if (!c.req.header("accept-encoding")) return next();
    return compressing(c, next);
  };
}
