import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/errors";
import { cacheKey, createQueryCache } from "../../src/query/cache";
import { singleFlight } from "../../src/query/flight";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (body: Uint8Array | undefined) => body && new TextDecoder().decode(body);

function gauge() {
  const seen = { value: -1 };
  return { seen, set: (value: number) => (seen.value = value) };
}

describe("the query cache", () => {
  test("serves a result until its TTL has passed, then forgets it", () => {
    let now = 1_000;
    const cache = createQueryCache({
      ttlMs: 300_000,
      maxEntries: 10,
      maxBytes: 10_000,
      now: () => now,
    });
    cache.set("k", bytes("result"));
    now += 299_999;
    expect(text(cache.get("k"))).toBe("result");
    now += 1;
    expect(cache.get("k")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test("past its entry bound, the least recently used result goes first", () => {
    const cache = createQueryCache({ ttlMs: 60_000, maxEntries: 2, maxBytes: 10_000 });
    cache.set("a", bytes("1"));
    cache.set("b", bytes("2"));
    cache.get("a");
    cache.set("c", bytes("3"));
    expect(cache.get("b")).toBeUndefined();
    expect(text(cache.get("a"))).toBe("1");
    expect(text(cache.get("c"))).toBe("3");
  });

  test("keeps keys and bodies within the byte bound and reports both in its gauges", () => {
    const entries = gauge();
    const size = gauge();
    const cache = createQueryCache(
      { ttlMs: 60_000, maxEntries: 100, maxBytes: 400 },
      { entries, bytes: size },
    );
    // Each entry: a 6-character key and a 44-byte body, 50 bytes; 8 of them fill 400.
    for (let i = 10; i < 30; i += 1) cache.set(`key-${i}`, bytes("x".repeat(44)));
    expect(cache.bytes).toBeLessThanOrEqual(400);
    expect(cache.size).toBe(8);
    expect(entries.seen.value).toBe(8);
    expect(size.seen.value).toBe(cache.bytes);
    expect(cache.get("key-29")).toBeDefined();
    expect(cache.get("key-10")).toBeUndefined();
  });

  test("does not keep a result larger than a quarter of its bytes", () => {
    const cache = createQueryCache({ ttlMs: 60_000, maxEntries: 100, maxBytes: 400 });
    cache.set("small", bytes("s"));
    cache.set("big", bytes("b".repeat(200)));
    expect(cache.get("big")).toBeUndefined();
    expect(cache.get("small")).toBeDefined();
  });

  test("a TTL of 0 keeps nothing; clear empties it", () => {
    const off = createQueryCache({ ttlMs: 0, maxEntries: 10, maxBytes: 1_000 });
    off.set("k", bytes("v"));
    expect(off.enabled).toBe(false);
    expect(off.get("k")).toBeUndefined();

    const on = createQueryCache({ ttlMs: 1_000, maxEntries: 10, maxBytes: 1_000 });
    on.set("k", bytes("v"));
    on.clear();
    expect(on.get("k")).toBeUndefined();
    expect(on.bytes).toBe(0);
  });

  test("a request seen before reaches its result; clear, expiry and bounds apply", () => {
    let now = 0;
    const cache = createQueryCache({
      ttlMs: 1_000,
      maxEntries: 2,
      maxBytes: 10_000,
      now: () => now,
    });
    cache.set("k", bytes("result"));
    cache.alias("request-1", "k");
    expect(text(cache.getByAlias("request-1"))).toBe("result");
    expect(cache.getByAlias("request-2")).toBeUndefined();

    // Past its entry bound the oldest request is forgotten; its result stays reachable by key.
    cache.alias("request-2", "k");
    cache.alias("request-3", "k");
    expect(cache.getByAlias("request-1")).toBeUndefined();
    expect(text(cache.getByAlias("request-3"))).toBe("result");

    // A very long request is not remembered; an expired or cleared result is not served.
    cache.alias("x".repeat(5_000), "k");
    expect(cache.getByAlias("x".repeat(5_000))).toBeUndefined();
    now += 1_000;
    expect(cache.getByAlias("request-3")).toBeUndefined();
    cache.set("k", bytes("again"));
    cache.clear();
    expect(cache.getByAlias("request-2")).toBeUndefined();
  });

  test("keys differ by role and by user, and no user name can forge another's key", () => {
    const sql = "SELECT 1";
    expect(cacheKey("admin", "ann", "json", sql)).not.toBe(cacheKey("user", "ann", "json", sql));
    expect(cacheKey("user", "ann", "json", sql)).not.toBe(cacheKey("user", "bob", "json", sql));
    expect(cacheKey("user", "a:4:json", "json", sql)).not.toBe(
      cacheKey("user", "a", "json", `4:json:json:${sql}`),
    );
  });
});

describe("single flight", () => {
  test("identical concurrent work runs once and every caller gets its result", async () => {
    const flights = singleFlight<string>();
    let runs = 0;
    let finish = (_: string) => {};
    const work = () => {
      runs += 1;
      return new Promise<string>((resolve) => {
        finish = resolve;
      });
    };
    const callers = Array.from({ length: 5 }, () => flights.join("k", work));
    finish("done");
    expect(await Promise.all(callers)).toEqual(Array(5).fill("done"));
    expect(runs).toBe(1);
    expect(flights.running).toBe(0);
  });

  test("the work is aborted only when every caller has gone away", async () => {
    const flights = singleFlight<string>();
    let shared: AbortSignal | undefined;
    const work = (signal: AbortSignal) => {
      shared = signal;
      return new Promise<string>((_, reject) => signal.addEventListener("abort", reject));
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = flights.join("k", work, first.signal);
    const b = flights.join("k", work, second.signal);

    first.abort();
    expect(a).rejects.toBeInstanceOf(ApiError);
    expect(shared?.aborted).toBe(false);
    second.abort();
    expect(b).rejects.toMatchObject({ code: "query_cancelled" });
    expect(shared?.aborted).toBe(true);
    expect(flights.running).toBe(0);
  });

  test("a failure reaches every caller and is not kept", async () => {
    const flights = singleFlight<string>();
    const failing = () => Promise.reject(new Error("boom"));
    const results = await Promise.allSettled([
      flights.join("k", failing),
      flights.join("k", failing),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect(await flights.join("k", async () => "again")).toBe("again");
  });
});
