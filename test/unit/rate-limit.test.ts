import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { routeGroup } from "../../src/middleware/rate-limit";
import { clientKey, parseAddress, parseSubnet } from "../../src/rate-limit/address";
import { clientAddress } from "../../src/rate-limit/client-ip";
import { createWindowStore } from "../../src/rate-limit/store";

const address = (text: string) => {
  const parsed = parseAddress(text);
  if (!parsed) throw new Error(`not an address: ${text}`);
  return parsed;
};
const subnets = (...texts: string[]) => texts.flatMap((text) => parseSubnet(text) ?? []);

describe("the window store", () => {
  test("counts up to the limit, then refuses until the window ends", () => {
    let now = 1_000;
    const store = createWindowStore({ windowMs: 60_000, maxKeys: 10, now: () => now });
    expect(store.hit("a", 2)).toEqual({ allowed: true, remaining: 1, resetAt: 61_000 });
    expect(store.hit("a", 2)).toEqual({ allowed: true, remaining: 0, resetAt: 61_000 });
    expect(store.hit("a", 2).allowed).toBe(false);
    expect(store.hit("b", 2).allowed).toBe(true);

    now = 61_000;
    expect(store.hit("a", 2)).toEqual({ allowed: true, remaining: 1, resetAt: 121_000 });
  });

  test("never tracks more keys than its cap, however many clients come", () => {
    let now = 0;
    const store = createWindowStore({ windowMs: 60_000, maxKeys: 100, now: () => now });
    for (let client = 0; client < 10_000; client += 1) {
      now += 1;
      store.hit(`client-${client}`, 5);
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(store.size).toBe(100);
  });

  test("drops expired windows as time passes", () => {
    let now = 0;
    const store = createWindowStore({ windowMs: 1_000, maxKeys: 100, now: () => now });
    for (let client = 0; client < 50; client += 1) store.hit(`client-${client}`, 5);
    now = 5_000;
    store.hit("late", 5);
    expect(store.size).toBe(1);
  });
});

describe("addresses and subnets", () => {
  test("reads IPv4, IPv6, mapped, bracketed and ported forms", () => {
    expect(clientKey(address("192.0.2.7"))).toBe("192.0.2.7");
    expect(clientKey(address("::ffff:192.0.2.7"))).toBe("192.0.2.7");
    expect(clientKey(address("192.0.2.7:5123"))).toBe("192.0.2.7");
    expect(clientKey(address("[2001:db8::1]:443"))).toBe("20010db800000000::/64");
    expect(address("::1")).toEqual({ family: 6, value: 1n });
    for (const bad of ["", "1.2.3", "256.1.1.1", "1:2:3", "::g", "1::2::3", "example.com"]) {
      expect(parseAddress(bad)).toBeUndefined();
    }
  });

  test("one IPv6 /64 counts as one client", () => {
    expect(clientKey(address("2001:db8:0:1::5"))).toBe(clientKey(address("2001:db8:0:1:ffff::9")));
    expect(clientKey(address("2001:db8:0:1::5"))).not.toBe(clientKey(address("2001:db8:0:2::5")));
  });

  test("refuses malformed subnets", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/1", "fd00::/129", "x/8"]) {
      expect(parseSubnet(bad)).toBeUndefined();
    }
  });

  test("TRUSTED_PROXIES is checked at start-up, naming the variable", () => {
    const secret = "s".repeat(32);
    expect(() =>
      loadConfig({ JWT_SECRET: secret, TRUSTED_PROXIES: "10.0.0.0/8,nonsense" }),
    ).toThrow(/^invalid configuration: TRUSTED_PROXIES:/);
    const config = loadConfig({ JWT_SECRET: secret, TRUSTED_PROXIES: " 10.0.0.0/8 , ::1 " });
    expect(config.rateLimit.trustedProxies).toHaveLength(2);
  });
});

describe("the client behind proxies", () => {
  const peer = address("10.0.0.2");
  const trusted = subnets("10.0.0.0/8");

  test("X-Forwarded-For from an untrusted peer is ignored", () => {
    expect(clientAddress(address("203.0.113.9"), "198.51.100.1", trusted)).toEqual(
      address("203.0.113.9"),
    );
  });

  test("behind a trusted proxy the rightmost untrusted hop is the client", () => {
    const client = clientAddress(peer, "198.51.100.66, 203.0.113.5, 10.1.1.1", trusted);
    expect(client).toEqual(address("203.0.113.5"));
  });

  test("a hop no proxy could have written stops the walk at the last trusted one", () => {
    expect(clientAddress(peer, "203.0.113.5, garbage", trusted)).toEqual(peer);
    expect(clientAddress(peer, "garbage, 10.1.1.1", trusted)).toEqual(address("10.1.1.1"));
  });

  test("no peer (an in-process call) has no address", () => {
    expect(clientAddress(undefined, "198.51.100.1", trusted)).toBeUndefined();
  });
});

describe("route groups", () => {
  test("probes and scrapes are never limited; login, query and events have their own", () => {
    expect(routeGroup("/health")).toBeUndefined();
    expect(routeGroup("/health/ready")).toBeUndefined();
    expect(routeGroup("/metrics")).toBeUndefined();
    expect(routeGroup("/login")).toBe("login");
    expect(routeGroup("/api/clickhouse/query")).toBe("query");
    expect(routeGroup("/api/kafka/produce")).toBe("events");
    expect(routeGroup("/api/events")).toBe("events");
    expect(routeGroup("/docs")).toBe("default");
    expect(routeGroup("/healthz")).toBe("default");
    expect(routeGroup("/health/anything")).toBe("default");
  });

  test("groups inherit RATE_LIMIT_MAX unless set; login keeps its own", () => {
    const secret = "s".repeat(32);
    const off = loadConfig({ JWT_SECRET: secret, RATE_LIMIT_MAX: "0", RATE_LIMIT_EVENTS_MAX: "7" });
    expect(off.rateLimit.max).toEqual({ default: 0, login: 10, query: 0, events: 7 });
    expect(loadConfig({ JWT_SECRET: secret }).rateLimit).toMatchObject({
      windowMs: 900_000,
      max: { default: 100, login: 10, query: 100, events: 100 },
    });
  });
});
