import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loginBody, servedApp } from "../support/serve";

const padded = (bytes: number) =>
  JSON.stringify({ username: "admin", password: "p".repeat(bytes - 36) });

/** A body sent in chunks with no Content-Length, so its size is known only by reading it. */
function chunked(text: string) {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 256) controller.enqueue(bytes.slice(at, at + 256));
      controller.close();
    },
  });
}

describe("request body limits", () => {
  let served: Awaited<ReturnType<typeof servedApp>>;
  beforeAll(async () => {
    served = await servedApp({
      RATE_LIMIT_MAX: "0",
      RATE_LIMIT_LOGIN_MAX: "0",
      MAX_BODY_BYTES: "1024",
      EVENTS_MAX_BODY_BYTES: "4096",
    });
  });
  afterAll(() => served.close());

  const post = (path: string, body: string | ReadableStream<Uint8Array>) =>
    fetch(`${served.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });

  test("a body over the limit is a JSON 413, judged by its Content-Length", async () => {
    const res = await post("/login", padded(2_000));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      code: "payload_too_large",
      error: "Request body is larger than 1024 bytes",
      requestId: expect.any(String),
    });
  });

  test("a chunked body is counted as it arrives and refused the same way", async () => {
    const res = await post("/login", chunked(padded(3_000)));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "payload_too_large" });
  });

  test("bodies within the limit, chunked or not, reach the route intact", async () => {
    const wrong = await post("/login", padded(1_000));
    expect(wrong.status).toBe(401);
    const streamed = await post("/login", chunked(padded(1_000)));
    expect(streamed.status).toBe(401);
    const right = await fetch(`${served.url}/login`, loginBody("admin", "admin-fixture-password"));
    expect(right.status).toBe(200);
  });

  test("the events route group has its own, larger limit", async () => {
    const between = await post("/api/events", "x".repeat(2_000));
    // Past the body limit, the request meets authentication.
    expect(between.status).toBe(401);
    const over = await post("/api/events", "x".repeat(5_000));
    expect(over.status).toBe(413);
    const elsewhere = await post("/api/clickhouse/query", "x".repeat(2_000));
    expect(elsewhere.status).toBe(413);
  });
});
