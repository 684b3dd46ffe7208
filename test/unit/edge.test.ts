import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/logger";
import { appWithoutBackends } from "../support/app";
import { tokenFor } from "../support/identity";

async function edgeApp() {
  const lines: Record<string, unknown>[] = [];
  const config = loadConfig({ JWT_SECRET: "e".repeat(32) });
  const logger = createLogger("info", (line) => lines.push(JSON.parse(line)));
  return { app: await appWithoutBackends(config, { logger }), lines };
}

describe("the HTTP edge", () => {
  test("an unknown path is a JSON 404 with a stable code and the request id", async () => {
    const { app } = await edgeApp();
    const res = await app.request("/no/such/thing");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(body).toEqual({
      error: "No route for GET /no/such/thing",
      code: "not_found",
      requestId: res.headers.get("x-request-id"),
    });
  });

  test("a sane caller request id is kept, a hostile one replaced", async () => {
    const { app } = await edgeApp();
    const kept = await app.request("/health/live", { headers: { "x-request-id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    const hostile = await app.request("/health/live", {
      headers: { "x-request-id": `<script>${"y".repeat(300)}` },
    });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("each request writes one access line with the route template, not the raw path", async () => {
    const { app, lines } = await edgeApp();
    await app.request("/health/live");
    await app.request("/no/such/thing?secret=1");
    const requests = lines.filter((line) => line.msg === "request");
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ method: "GET", route: "/health/live", status: 200 });
    expect(requests[1]).toMatchObject({ route: "unmatched", status: 404 });
    expect(typeof requests[0]?.durationMs).toBe("number");
    expect(JSON.stringify(lines)).not.toContain("secret=1");
  });

  test("liveness answers without asking the backends", async () => {
    const { app } = await edgeApp();
    const res = await app.request("/health/live");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("every reply says it varies with Accept-Encoding; large JSON is compressed on request", async () => {
    const { app } = await edgeApp();
    const small = await app.request("/health/live");
    expect(small.headers.get("vary")).toBe("Accept-Encoding");
    const large = await app.request("/openapi.json", { headers: { "accept-encoding": "gzip" } });
    expect(large.headers.get("vary")).toBe("Accept-Encoding");
    expect(large.headers.get("content-encoding")).toBe("gzip");
  });

  test("the query string is checked like a body: a repeated or empty sql is a 400", async () => {
    const { app } = await edgeApp();
    const config = loadConfig({ JWT_SECRET: "e".repeat(32) });
    const token = await tokenFor(config, "user");
    const ask = (query: string) =>
      app.request(`/api/clickhouse/query?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
    for (const query of ["sql=SELECT+1&sql=SELECT+2", "sql=", "", "sql=SELECT+1&format=xml"]) {
      const res = await ask(query);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "validation_failed" });
    }
  });
});
