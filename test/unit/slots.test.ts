import { describe, expect, test } from "bun:test";
import { cancelled } from "../../src/query/failures";
import { createSlots, type SlotOptions } from "../../src/slots";

function gauges() {
  const seen = { inFlight: 0, queued: 0 };
  return {
    seen,
    inFlight: { set: (value: number) => (seen.inFlight = value) },
    queued: { set: (value: number) => (seen.queued = value) },
  };
}

const queryPool = (options: SlotOptions, g = {}) =>
  createSlots(options, { noun: { one: "query", many: "queries" }, cancelled, ...g });

describe("slots", () => {
  test("runs up to its size at once and hands slots on in arrival order", async () => {
    const g = gauges();
    const pool = queryPool({ maxConcurrent: 2, queueSize: 5, queueTimeoutMs: 10_000 }, g);
    const first = await pool.acquire();
    await pool.acquire();
    const order: string[] = [];
    const third = pool.acquire().then((release) => {
      order.push("third");
      return release;
    });
    const fourth = pool.acquire().then((release) => {
      order.push("fourth");
      return release;
    });
    expect(g.seen).toEqual({ inFlight: 2, queued: 2 });

    first();
    first();
    (await third)();
    await fourth;
    expect(order).toEqual(["third", "fourth"]);
    expect(pool.running).toBe(2);
    expect(g.seen.queued).toBe(0);
  });

  test("past the queue a query is refused at once with a 503 and Retry-After", async () => {
    const pool = queryPool({ maxConcurrent: 1, queueSize: 1, queueTimeoutMs: 10_000 });
    await pool.acquire();
    const waiting = pool.acquire();
    const refused = pool.acquire();
    expect(refused).rejects.toMatchObject({
      code: "queue_full",
      status: 503,
      headers: { "Retry-After": "1" },
    });
    expect(pool.queued).toBe(1);
    waiting.catch(() => {});
  });

  test("a query waiting past the queue timeout is refused and leaves the queue", async () => {
    const pool = queryPool({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 50 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    expect(waiting).rejects.toMatchObject({ code: "queue_full" });
    await waiting.catch(() => {});
    expect(pool.queued).toBe(0);
    held();
    expect(pool.running).toBe(0);
  });

  test("a caller who goes away while queued gives up its place", async () => {
    const pool = queryPool({ maxConcurrent: 1, queueSize: 3, queueTimeoutMs: 10_000 });
    const held = await pool.acquire();
    const gone = new AbortController();
    const waiting = pool.acquire(gone.signal);
    const next = pool.acquire();
    gone.abort();
    expect(waiting).rejects.toMatchObject({ code: "query_cancelled" });
    held();
    const release = await next;
    expect(pool.running).toBe(1);
    release();
    expect(pool.running).toBe(0);
  });

  test("run frees its slot whether the work resolves or throws", async () => {
    const slots = createSlots(
      { maxConcurrent: 1, queueSize: 0, queueTimeoutMs: 10_000 },
      { noun: { one: "login", many: "logins" } },
    );
    expect(await slots.run(async () => 7)).toBe(7);
    const [thrown, refused] = await Promise.allSettled([
      slots.run(() => Promise.reject(new Error("boom"))),
      slots.run(async () => 8),
    ]);
    expect(thrown).toMatchObject({ status: "rejected", reason: { message: "boom" } });
    expect(refused).toMatchObject({
      status: "rejected",
      reason: {
        code: "queue_full",
        message: "Too many logins are running and waiting; try again shortly",
      },
    });
    expect(slots.running).toBe(0);
    expect(await slots.run(async () => 9)).toBe(9);
  });
});
