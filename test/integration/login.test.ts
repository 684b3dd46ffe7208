import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decode } from "hono/jwt";
import { appOnRealBackends } from "../support/app";
import { fixturePasswords } from "../support/identity";
import { testConfig } from "../support/stack";

type Live = Awaited<ReturnType<typeof appOnRealBackends>>;

const login = (live: Live, body: string, type = "application/json") =>
  live.app.request("/login", { method: "POST", headers: { "content-type": type }, body });

describe("POST /login", () => {
  let live: Live;
  beforeAll(async () => {
    live = await appOnRealBackends(
      testConfig({ JWT_ISSUER: "auterity-test", JWT_AUDIENCE: "api" }),
    );
  });
  afterAll(() => live.close());

  test("a right password returns a Bearer token with sub, role, iat, exp and jti", async () => {
    const res = await login(
      live,
      JSON.stringify({ username: "user", password: fixturePasswords.user }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; expiresIn: number; tokenType: string };
    expect(body.tokenType).toBe("Bearer");
    expect(body.expiresIn).toBe(3600);
    const { header, payload } = decode(body.token);
    expect(header.alg).toBe("HS256");
    expect(payload).toMatchObject({ sub: "user", role: "user", iss: "auterity-test", aud: "api" });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("the token it issues opens the routes of its role", async () => {
    const res = await login(
      live,
      JSON.stringify({ username: "admin", password: fixturePasswords.admin }),
    );
    const { token } = (await res.json()) as { token: string };
    const cleared = await live.app.request("/api/clickhouse/clear-cache", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect([401, 403]).not.toContain(cleared.status);
  });

  test("a wrong user and a wrong password get the same status and body", async () => {
    const wrongUser = await login(live, JSON.stringify({ username: "nobody", password: "x" }));
    const wrongPassword = await login(live, JSON.stringify({ username: "admin", password: "x" }));
    expect(wrongUser.status).toBe(401);
    expect(wrongPassword.status).toBe(401);
    const strip = async (res: Response) => {
      const { requestId: _id, ...rest } = (await res.json()) as Record<string, unknown>;
      return rest;
    };
    expect(await strip(wrongUser)).toEqual(await strip(wrongPassword));
    expect(wrongUser.headers.get("www-authenticate")).toBe(
      wrongPassword.headers.get("www-authenticate"),
    );
  });

  test("broken JSON, a wrong content type and wrong field types are clear 4xx errors", async () => {
    const broken = await login(live, '{"username": "admin", "password"');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { code: string }).code).toBe("invalid_json");

    const form = await login(
      live,
      "username=admin&password=x",
      "application/x-www-form-urlencoded",
    );
    expect(form.status).toBe(415);

    const types = await login(live, JSON.stringify({ username: 42, password: ["x"] }));
    expect(types.status).toBe(400);
    const body = (await types.json()) as { code: string; details: { path: string }[] };
    expect(body.code).toBe("validation_failed");
    expect(body.details.map((issue) => issue.path).toSorted()).toEqual(["password", "username"]);

    const huge = await login(
      live,
      JSON.stringify({ username: "admin", password: "x".repeat(5000) }),
    );
    expect(huge.status).toBe(400);
  });
});
