import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { servedApp } from "../support/serve";

// curl shows the bytes on the wire; fetch would undo the encoding before the test saw it.
async function curl(url: string, headers: string[] = []) {
  const args = headers.flatMap((header) => ["-H", header]);
  const run = Bun.spawn(["curl", "-s", "--max-time", "20", "-D", "-", ...args, url]);
  const raw = Buffer.from(await new Response(run.stdout).arrayBuffer());
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.subarray(0, split).toString().toLowerCase();
  return { head, body: raw.subarray(split + 4) };
}

describe("response compression", () => {
  let served: Awaited<ReturnType<typeof servedApp>>;
  beforeAll(async () => {
    served = await servedApp({ RATE_LIMIT_MAX: "0" });
  });
  afterAll(() => served.close());

  test("a client that accepts gzip gets gzip, and the same document once unpacked", async () => {
    const plain = await curl(`${served.url}/openapi.json`);
    expect(plain.head).not.toContain("content-encoding");

    const packed = await curl(`${served.url}/openapi.json`, ["Accept-Encoding: gzip"]);
    expect(packed.head).toContain("content-encoding: gzip");
    expect(packed.head).toContain("vary: accept-encoding");
    expect(packed.body.length).toBeLessThan(plain.body.length);
    expect(JSON.parse(gunzipSync(packed.body).toString())).toEqual(
      JSON.parse(plain.body.toString()),
    );
  });

  test("metrics scrapes are compressed too when asked", async () => {
    const packed = await curl(`${served.url}/metrics`, ["Accept-Encoding: gzip"]);
    expect(packed.head).toContain("content-encoding: gzip");
    expect(gunzipSync(packed.body).toString()).toContain("# TYPE http_requests_total counter");
  });

  test("a client that does not accept gzip gets plain bytes", async () => {
    const plain = await curl(`${served.url}/docs`, ["Accept-Encoding: identity"]);
    expect(plain.head).not.toContain("content-encoding");
    expect(plain.body.toString()).toStartWith("<!doctype html>");
  });
});
