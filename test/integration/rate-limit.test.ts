import { afterEach, describe, expect, test } from "bun:test";
import { fixturePasswords, tokenFor } from "../support/identity";
import { loginBody, servedApp } from "../support/serve";

type Served = Awaited<ReturnType<typeof servedApp>>;
let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(overrides: Record<string, string>) {
  served = await servedApp(overrides);
  return served;
}

const from = (client: string, headers: Record<string, string> = {}) => ({
  headers: { "x-forwarded-for": client, ...headers },
});

async function metricValue(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split("\n").find((row) => line.test(row));
  return found === undefined ? undefined : Number(found.split(" ").pop());
}

describe("rate limits on a real listener", () => {
  test("RateLimit headers on limited routes; past the limit, 429 with Retry-After", async () => {
    const { url } = await start({ RATE_LIMIT_MAX: "3" });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBe("3");
      const reset = Number(res.headers.get("ratelimit-reset"));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(900);
      remaining.push(res.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);

    const refused = await fetch(`${url}/openapi.json`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "rate_limited", requestId: expect.any(String) });
    expect(body.error).toMatch(/^Too many requests; retry in \d+ seconds$/);
  });

  test("health probes and metrics scrapes are never limited", async () => {
    const { url } = await start({ RATE_LIMIT_MAX: "1" });
    for (let i = 0; i < 5; i += 1) {
      const live = await fetch(`${url}/health/live`);
      expect(live.status).toBe(200);
      expect(live.headers.get("ratelimit-limit")).toBeNull();
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
    }
  });

  test("RATE_LIMIT_MAX=0 turns the limit off", async () => {
    const { url } = await start({ RATE_LIMIT_MAX: "0" });
    for (let i = 0; i < 20; i += 1) {
      const res = await fetch(`${url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBeNull();
    }
  });

  test("X-Forwarded-For from an untrusted peer is ignored: spoofing buys nothing", async () => {
    const { url } = await start({ RATE_LIMIT_MAX: "2" });
    const statuses = [];
    for (const client of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
      statuses.push((await fetch(`${url}/openapi.json`, from(client))).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  test("behind a trusted proxy each forwarded client counts on its own", async () => {
    const { url } = await start({ RATE_LIMIT_MAX: "2", TRUSTED_PROXIES: "127.0.0.1,::1" });
    const get = (xff: string) => fetch(`${url}/openapi.json`, from(xff)).then((r) => r.status);
    expect([await get("203.0.113.5"), await get("203.0.113.5")]).toEqual([200, 200]);
    expect(await get("203.0.113.5")).toBe(429);
    // A client that writes its own X-Forwarded-For is still the hop the proxy appended.
    expect(await get("192.0.2.99, 203.0.113.5")).toBe(429);
    expect(await get("203.0.113.6")).toBe(200);
  });

  test("a user is limited however many addresses the requests come from", async () => {
    const { url, config } = await start({ RATE_LIMIT_MAX: "3", TRUSTED_PROXIES: "127.0.0.1" });
    const admin = { authorization: `Bearer ${await tokenFor(config, "admin")}` };
    const statuses = [];
    for (const client of ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]) {
      statuses.push((await fetch(`${url}/api/rate-limit-probe`, from(client, admin))).status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);

    const other = { authorization: `Bearer ${await tokenFor(config, "user")}` };
    expect((await fetch(`${url}/api/rate-limit-probe`, from("203.0.113.9", other))).status).toBe(
      404,
    );
    const refusals = /^http_rate_limited_total\{group="default",scope="user"\}/;
    expect(await metricValue(url, refusals)).toBe(1);
  });

  test("login is limited per username across addresses, known or unknown alike", async () => {
    const { url } = await start({ RATE_LIMIT_LOGIN_MAX: "3", TRUSTED_PROXIES: "127.0.0.1" });
    const attempt = async (username: string, client: string) => {
      const init = loginBody(username, "not-the-password");
      const res = await fetch(`${url}/login`, {
        ...init,
        headers: { ...init.headers, ...from(client).headers },
      });
      const { requestId: _id, ...body } = (await res.json()) as Record<string, unknown>;
      return { status: res.status, body, retryAfter: res.headers.get("retry-after") !== null };
    };

    const known = [];
    const unknown = [];
    for (let i = 1; i <= 4; i += 1) {
      known.push(await attempt("admin", `198.51.100.${i}`));
      unknown.push(await attempt("nobody-at-all", `198.51.100.${10 + i}`));
    }
    expect(known.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(known[3]?.retryAfter).toBe(true);
    // Same statuses and bodies: the limit does not tell which names exist.
    expect(unknown.map((r) => [r.status, r.body.code])).toEqual(
      known.map((r) => [r.status, r.body.code]),
    );
    expect(unknown[0]?.body).toEqual(known[0]?.body ?? {});
  });

  test("only failed logins use up the login limit; past it even the right password waits", async () => {
    const { url } = await start({ RATE_LIMIT_LOGIN_MAX: "3" });
    const login = async (password: string) => {
      const res = await fetch(`${url}/login`, loginBody("user", password));
      return { status: res.status, remaining: res.headers.get("ratelimit-remaining") };
    };
    const right = fixturePasswords.user;

    // Five good logins in a row, more than the limit: none counts.
    for (let i = 0; i < 5; i += 1)
      expect(await login(right)).toEqual({ status: 200, remaining: "3" });
    // Three failures use it up, for the name and for the address.
    const failures = [await login("wrong-1"), await login("wrong-2"), await login("wrong-3")];
    expect(failures.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(failures.map((r) => r.remaining)).toEqual(["2", "1", "0"]);
    // Refused before the password is checked, so a 429 says nothing about the guess.
    expect((await login(right)).status).toBe(429);
    expect((await login("wrong-4")).status).toBe(429);
  });

  test("concurrent guesses cannot slip past the login limit together", async () => {
    const { url } = await start({ RATE_LIMIT_LOGIN_MAX: "3" });
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${url}/login`, loginBody("admin", `guess-${i}`)).then((res) => res.status),
      ),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });

  test("login is limited per address too, whatever names are tried", async () => {
    const { url } = await start({ RATE_LIMIT_LOGIN_MAX: "2" });
    const statuses = [];
    for (const name of ["first", "second", "third"]) {
      statuses.push((await fetch(`${url}/login`, loginBody(name, "x"))).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  test("memory stays bounded however many clients arrive", async () => {
    const { url } = await start({
      RATE_LIMIT_MAX: "5",
      RATE_LIMIT_MAX_KEYS: "50",
      TRUSTED_PROXIES: "127.0.0.1",
    });
    for (let batch = 0; batch < 10; batch += 1) {
      const clients = Array.from({ length: 30 }, (_, i) => `10.${batch}.${i}.1`);
      const statuses = await Promise.all(
        clients.map((client) => fetch(`${url}/no-such-page`, from(client)).then((r) => r.status)),
      );
      expect(statuses.every((status) => status === 404)).toBe(true);
    }
    expect(await metricValue(url, /^http_rate_limit_tracked_keys /)).toBe(50);
  });
});
