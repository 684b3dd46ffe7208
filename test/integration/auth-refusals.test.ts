import { afterAll, describe, expect, test } from "bun:test";
import { routeRoles } from "../../src/auth/roles";
import { appOnRealBackends } from "../support/app";
import { protectedRoutes, refusalTests } from "../support/auth-matrix";
import { tokenFor } from "../support/identity";
import { testConfig, testSecret } from "../support/stack";

const config = testConfig();
const live = await appOnRealBackends(config);
afterAll(() => live.close());

describe("the role policy", () => {
  test("covers exactly the routes the app registers under /api", () => {
    const registered = protectedRoutes(live.app).map((route) => `${route.method} ${route.path}`);
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.toSorted()).toEqual(Object.keys(routeRoles).toSorted());
  });

  test("an unknown path under /api needs a token before it answers 404", async () => {
    const anonymous = await live.app.request("/api/nothing-here");
    expect(anonymous.status).toBe(401);
    const known = await live.app.request("/api/nothing-here", {
      headers: { authorization: `Bearer ${await tokenFor(config, "admin")}` },
    });
    expect(known.status).toBe(404);
  });
});

describe("refusals on every protected route", () => {
  refusalTests(live.app, testSecret, (role) => tokenFor(config, role));
});
