import { expect, test } from "bun:test";
import type { Hono } from "hono";
import { sign } from "hono/jwt";
import type { JWTPayload } from "hono/utils/jwt/types";
import { type Role, roles, routeRoles } from "../../src/auth/roles";
import type { AppEnv } from "../../src/types";

export interface ProtectedRoute {
  method: string;
  path: string;
  allowed: readonly Role[];
}

/** Every route the app registered under /api, with the roles the policy gives it. */
export function protectedRoutes(app: Hono<AppEnv>): ProtectedRoute[] {
  const seen = new Set<string>();
  const found: ProtectedRoute[] = [];
  for (const { method, path } of app.routes) {
    if (!path.startsWith("/api/") || method === "ALL" || path.endsWith("*")) continue;
    const key = `${method} ${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found.push({ method, path, allowed: routeRoles[key] ?? [] });
  }
  return found;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The forged and broken credentials every protected route must refuse with 401. */
export async function hostileCredentials(secret: string): Promise<[string, string | undefined][]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    sub: "mallory",
    role: "user",
    iat: now,
    exp: now + 600,
    jti: "j1",
    ...extra,
  });
  const valid = await sign(claims(), secret, "HS256");
  const [header, , signature] = valid.split(".");

  return [
    ["no Authorization header", undefined],
    ["a Basic scheme instead of Bearer", `Basic ${btoa("admin:admin")}`],
    ["a Bearer token that is garbage", "Bearer not-a-token"],
    ["alg none", `Bearer ${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims())}.`],
    [
      "HS256 signed with another secret",
      `Bearer ${await sign(claims(), `${secret}-other`, "HS256")}`,
    ],
    [
      "a tampered payload with the old signature",
      `Bearer ${header}.${base64url(claims({ role: "admin", sub: "admin" }))}.${signature}`,
    ],
    [
      "an expired token",
      `Bearer ${await sign(claims({ iat: now - 7200, exp: now - 3600 }), secret)}`,
    ],
    ["nbf in the future", `Bearer ${await sign(claims({ nbf: now + 3600 }), secret)}`],
    ["no exp at all", `Bearer ${await sign({ sub: "mallory", role: "admin", iat: now }, secret)}`],
    ["an unknown role", `Bearer ${await sign(claims({ role: "superuser" }), secret)}`],
    [
      "an RS256 header on an HS256 signature",
      `Bearer ${base64url({ alg: "RS256", typ: "JWT" })}.${base64url(claims())}.${signature}`,
    ],
  ];
}

async function expectErrorBody(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(typeof body.error).toBe("string");
  expect(body.requestId).toBe(res.headers.get("x-request-id") ?? "");
}

/**
 * Registers, for every protected route of `app`, a test per hostile credential (401 with
 * `WWW-Authenticate: Bearer`) and per role the policy refuses (403). A route added later is
 * covered without writing a test for it.
 */
export function refusalTests(
  app: Hono<AppEnv>,
  secret: string,
  tokenFor: (role: Role) => Promise<string>,
) {
  for (const route of protectedRoutes(app)) {
    const call = (authorization?: string) =>
      app.request(route.path, {
        method: route.method,
        headers: authorization ? { authorization } : {},
      });

    test(`${route.method} ${route.path} refuses every forged or broken credential`, async () => {
      for (const [situation, authorization] of await hostileCredentials(secret)) {
        const res = await call(authorization);
        expect({ situation, status: res.status }).toEqual({ situation, status: 401 });
        expect(res.headers.get("www-authenticate") ?? "").toStartWith("Bearer");
        await expectErrorBody(res, 401, "unauthorized");
      }
    });

    for (const role of roles.filter((r) => !route.allowed.includes(r))) {
      test(`${route.method} ${route.path} refuses the ${role} role with 403`, async () => {
        const res = await call(`Bearer ${await tokenFor(role)}`);
        await expectErrorBody(res, 403, "forbidden");
      });
    }

    for (const role of route.allowed) {
      test(`${route.method} ${route.path} lets the ${role} role past authorization`, async () => {
        const res = await call(`Bearer ${await tokenFor(role)}`);
        expect([401, 403]).not.toContain(res.status);
      });
    }
  }
}
