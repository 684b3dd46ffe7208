import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { routeRoles } from "../../src/auth/roles";
import { loadConfig } from "../../src/config";
import { openApiPath } from "../../src/openapi/document";
import { loginBody } from "../../src/routes/login";
import { appWithoutBackends } from "../support/app";

// The document is about routes and schemas; backends are never called here.
const docsApp = () => appWithoutBackends(loadConfig({ JWT_SECRET: "o".repeat(32) }));

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
}

describe("the OpenAPI document", () => {
  test("documents every route the app registers, so none can go undocumented", async () => {
    const app = await docsApp();
    const doc = (await (await app.request("/openapi.json")).json()) as Doc;
    const registered = new Set(
      app.routes
        .filter((route) => route.method !== "ALL" && !route.path.includes("*"))
        .map((route) => `${route.method} ${route.path}`),
    );
    expect(registered.size).toBeGreaterThan(5);
    for (const key of registered) {
      const [method = "", path = ""] = key.split(" ");
      expect({
        key,
        documented: Boolean(doc.paths[openApiPath(path)]?.[method.toLowerCase()]),
      }).toEqual({ key, documented: true });
    }
  });

  test("is OpenAPI 3.1 and takes request schemas from the validators themselves", async () => {
    const doc = (await (await (await docsApp()).request("/openapi.json")).json()) as Doc;
    expect(doc.openapi).toBe("3.1.0");
    const login = doc.paths["/login"]?.post as {
      requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
    };
    const { $schema: _dialect, ...expected } = z.toJSONSchema(loginBody, {
      target: "draft-2020-12",
      io: "input",
    });
    expect(login.requestBody.content["application/json"]?.schema).toEqual(expected);
  });

  test("security on each operation follows the route roles table", async () => {
    const doc = (await (await (await docsApp()).request("/openapi.json")).json()) as Doc;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const roles = routeRoles[`${method.toUpperCase()} ${path}`];
        if (roles) {
          expect(op.security).toEqual([{ bearerAuth: [] }]);
          expect(op["x-roles"]).toEqual(roles);
          expect(Object.keys(op.responses as object)).toContain("403");
        } else {
          expect(op.security).not.toContainEqual({ bearerAuth: [] });
        }
      }
    }
    expect(doc.paths["/login"]?.post?.responses).toHaveProperty("429");
    expect(doc.paths["/health/live"]?.get?.responses).not.toHaveProperty("429");
  });

  test("/docs is one self-contained page: no script, nothing fetched from elsewhere", async () => {
    const res = await (await docsApp()).request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain("<code>/login</code>");
    expect(html).toContain("Exchange a username and password");
    expect(html).not.toMatch(/<script|<link|<img|src=|https?:\/\//i);
  });
});
