import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../config";
import { ApiError } from "../errors";
import type { Metrics } from "../metrics";
import { clientKey } from "../rate-limit/address";
import { clientAddress, peerAddress } from "../rate-limit/client-ip";
import { createWindowStore, type WindowCount } from "../rate-limit/store";
import type { AppEnv } from "../types";

export type RouteGroup = keyof Config["rateLimit"]["max"];
type Scope = "ip" | "user" | "username";

/** What the RateLimit-* headers of a reply report: the tightest limit the request counted in. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: number;
}

// A throttled probe or scrape would take a healthy instance out of rotation or out of sight.
const unlimited = /^\/(health(\/live|\/ready)?|metrics)$/;

/** The limit a path counts against; undefined for the paths that are never limited. */
export function routeGroup(path: string): RouteGroup | undefined {
  if (unlimited.test(path)) return undefined;
  if (path === "/login") return "login";
  if (path.startsWith("/api/clickhouse/")) return "query";
  if (path.startsWith("/api/kafka/") || path === "/api/events") return "events";
  return "default";
}

/**
 * Sets headers on a reply that is already made. hono's `c.header` rebuilds a finalized Response
 * on every call; its own headers can simply be changed, unless they are immutable.
 */
function setOnReply(c: Context<AppEnv>, headers: Record<string, string>) {
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
  }
}

const secondsUntil = (at: number) => Math.max(1, Math.ceil((at - Date.now()) / 1000));

function headersFor(state: RateLimitState): Record<string, string> {
  return {
    "RateLimit-Limit": String(state.limit),
    "RateLimit-Remaining": String(state.remaining),
    "RateLimit-Reset": String(secondsUntil(state.resetAt)),
  };
}

function tighter(current: RateLimitState | undefined, next: RateLimitState): RateLimitState {
  if (!current || next.remaining < current.remaining) return next;
  if (next.remaining === current.remaining && next.resetAt > current.resetAt) return next;
  return current;
}

/**
 * Fixed-window limits per route group, counted per client address for everyone and per user or
 * login name where one is known. All groups share one store, so memory has one bound.
 */
export function rateLimits(config: Config["rateLimit"], metrics: Metrics) {
  const store = createWindowStore({ windowMs: config.windowMs, maxKeys: config.maxKeys });

  const keyOf = (group: RouteGroup, scope: Scope, id: string) => `${group} ${scope} ${id}`;

  const count = (c: Context<AppEnv>, group: RouteGroup, scope: Scope, id: string) => {
    const limit = config.max[group];
    if (limit === 0) return;
    const result: WindowCount = store.hit(keyOf(group, scope, id), limit);
    metrics.rateLimitKeys.set(store.size);
    const state = tighter(c.get("rateLimit"), { limit, ...result });
    c.set("rateLimit", state);
    if (result.allowed) return;

    metrics.rateLimited.inc({ group, scope });
    const retryAfter = secondsUntil(result.resetAt);
    throw new ApiError("rate_limited", `Too many requests; retry in ${retryAfter} seconds`, {
      headers: { ...headersFor(state), "Retry-After": String(retryAfter) },
    });
  };

  // In-process calls have no peer; counting them under one shared key would throttle unrelated
  // callers together, so only the user and login-name limits apply to them.
  const clientOf = (c: Context<AppEnv>) => {
    const client = clientAddress(
      peerAddress(c),
      c.req.header("x-forwarded-for"),
      config.trustedProxies,
    );
    return client && clientKey(client);
  };

  /** Per client address, before anything else is done for the request. */
  const byAddress: MiddlewareHandler<AppEnv> = async (c, next) => {
    const group = routeGroup(c.req.path);
    if (group && config.max[group] > 0) {
      const client = clientOf(c);
      if (client) count(c, group, "ip", client);
    }
    await next();
    // Set again on the final reply: a handler that returns its own Response drops earlier ones.
    const state = c.get("rateLimit");
    if (state) setOnReply(c, headersFor(state));
  };

  /** Per authenticated user; `authorize` calls it once it knows who is calling. */
  const byUser = (c: Context<AppEnv>) => {
    const group = routeGroup(c.req.path);
    const user = c.get("user");
    if (group && user) count(c, group, "user", user.name);
  };

  /**
   * Per login name, whether or not it exists, so that guessing one account's password from many
   * addresses is slowed too and a refusal says nothing about which names are real. A login that
   * succeeds gives its hit back, to the name and to the address: only failures use up the limit,
   * so people and services that log in often are never held back by it. Every attempt is counted
   * first and refunded after, so concurrent guesses cannot slip past the limit together.
   */
  const byLoginName: MiddlewareHandler<AppEnv> = async (c, next) => {
    let username: string | undefined;
    if (/json/i.test(c.req.header("content-type") ?? "")) {
      const body: unknown = await c.req.json().catch(() => undefined);
      const name = (body as { username?: unknown } | undefined)?.username;
      if (typeof name === "string" && name !== "") username = name.slice(0, 128);
    }
    if (username !== undefined) count(c, "login", "username", username);
    await next();
    if (c.res.status !== 200 || config.max.login === 0) return;
    if (username !== undefined) store.refund(keyOf("login", "username", username));
    const client = clientOf(c);
    if (client) store.refund(keyOf("login", "ip", client));
    const state = c.get("rateLimit");
    if (state)
      c.set("rateLimit", { ...state, remaining: Math.min(state.limit, state.remaining + 1) });
  };

  return { byAddress, byUser, byLoginName, store };
}
