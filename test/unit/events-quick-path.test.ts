import { describe, expect, test } from "bun:test";
import {
  type Checked,
  checkEvent,
  checkEventBySchema,
  checkStoredEvent,
  checkStoredEventBySchema,
  quickEvent,
} from "../../src/events/event";

const at = Date.UTC(2024, 4, 1, 12, 0, 0);
const latestMs = Date.UTC(2106, 0, 1) - 1;
const dayMs = 86_400_000;

type Random = () => number;

// Seeded, so a failing input can be made again from the same run.
function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(random: Random, from: readonly T[]): T {
  return from[Math.floor(random() * from.length)] as T;
}

function withOwn(target: object, key: PropertyKey, value: unknown): object {
  return Object.defineProperty(target, key, { value, enumerable: true, writable: true });
}

const goodNames = ["page_view", "signup", "Seite angesehen", "ページ", "😀", "😀".repeat(128)];
const badNames: unknown[] = [
  ...["", "a".repeat(257), `${"😀".repeat(128)}a`, "tab\there", "line\n", "\u0000", "del\u007f"],
  ...["c1\u0085", "\u009f", 42, null, undefined, ["page_view"], new String("page_view")],
];
const oddNames = ["a".repeat(256), " ", "zero\u200bwidth", "lone\ud800", "\udc00", "\u2028"];

const offsets = ["+00:00", "-00:00", "+02:00", "-05:30", "+23:59", "+24:00", "+0200", "+02"];
const oddTimestamps: unknown[] = [
  ...["1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z", "2105-12-31T23:59:59.999Z"],
  ...["2106-01-01T00:00:00.000Z", "1969-12-31T23:00:00.000-01:00", "2024-02-29T12:00:00.000Z"],
  ...["2025-02-29T12:00:00.000Z", "2000-02-29T00:00:00.000Z", "2100-02-29T00:00:00.000Z"],
  ...["2026-02-30T00:00:00.000Z", "2026-04-31T00:00:00.000Z", "2026-13-01T00:00:00.000Z"],
  ...["2026-00-10T00:00:00.000Z", "2026-01-00T00:00:00.000Z", "2026-01-01T24:00:00.000Z"],
  ...["2026-01-01T23:60:00.000Z", "2026-01-01T23:59:60.000Z", "+002026-01-01T00:00:00.000Z"],
  ...["2026-01-01", "2026-01-01T00:00Z", "NaN", "Infinity", "", "1767225600000"],
  ...[" 2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z\n", "２026-01-01T00:00:00.000Z"],
  ...[0, -0, -1, latestMs, latestMs + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53],
  ...[null, true, [], {}, new Date(0), 10n],
];

function timestamp(random: Random): unknown {
  const ms = Math.floor(random() * (latestMs + 1));
  const iso = new Date(ms).toISOString();
  switch (Math.floor(random() * 12)) {
    case 0:
      return `${iso.slice(0, 23)}${pick(random, offsets)}`;
    case 1:
      return `${iso.slice(0, 19)}Z`;
    case 2:
      return `${iso.slice(0, 23)}${pick(random, ["000", "123"])}Z`;
    case 3:
      return `${iso.slice(0, 21)}Z`;
    case 4:
      return pick(random, [iso.replace("T", "t"), iso.replace("Z", "z"), iso.replace("T", " ")]);
    case 5:
      return pick(random, [iso.slice(0, 23), ms, ms + 0.5, -ms - 1]);
    case 6:
    case 7:
      return pick(random, oddTimestamps);
    default:
      return iso;
  }
}

const goodData = (): unknown[] => [
  {},
  { a: 1 },
  { user: "u1", path: "/p/1", n: 3 },
  { a: { b: [1, 2, { c: null }] }, d: "x" },
  { b: 1, 2: 2, 1: 3 },
  JSON.parse('{"__proto__":{"x":1},"a":1}'),
  JSON.parse('{"a":1,"__proto__":null,"b":2}'),
  Object.assign(Object.create(null), { x: 1, y: [2] }),
  { constructor: "x" },
  { constructor: Object },
  { gone: undefined },
  {
    get a() {
      return 1;
    },
  },
  Object.defineProperty({ a: 1 }, "hidden", { value: 2, enumerable: false }),
  Object.defineProperty({ a: 1 }, Symbol("hidden"), { value: 2, enumerable: false }),
  Object.create({ inherited: 1 }),
];
const badData = (): unknown[] => [
  ...[null, [], [1, 2], "str", 5, true, new Date(), new Map([["a", 1]])],
  new (class Point {
    x = 1;
  })(),
  { constructor() {} },
  { a: 1, [Symbol("s")]: 2 },
];

function generated(random: Random): unknown {
  if (random() < 0.04) {
    return pick(random, [null, undefined, "page_view", 5, [], [{ event: "a" }], new Date()]);
  }
  const value: Record<string, unknown> = random() < 0.1 ? Object.create(null) : {};

  const name = random();
  if (name < 0.65) value.event = `${pick(random, goodNames)}_${Math.floor(random() * 100)}`;
  else if (name < 0.8) value.event = pick(random, oddNames);
  else if (name < 0.97) value.event = pick(random, badNames);

  const time = random();
  if (time < 0.85) value.timestamp = timestamp(random);
  else if (time < 0.92) value.timestamp = undefined;

  const data = random();
  if (data < 0.6) value.data = pick(random, goodData());
  else if (data < 0.75) value.data = pick(random, badData());
  else if (data < 0.85) value.data = undefined;

  const extra = random();
  if (extra < 0.04) value.extra = 1;
  else if (extra < 0.07) value.Event = "x";
  else if (extra < 0.1) withOwn(value, "__proto__", { event: "other" });
  else if (extra < 0.12) withOwn(value, Symbol("s"), 1);
  return value;
}

type Outcome = Checked | { threw: string };

// A symbol key in data makes the schema's error path throw; the quick path must do the same.
function outcome(check: (value: unknown, defaultMs: number) => Checked, value: unknown): Outcome {
  try {
    return check(value, at);
  } catch (error) {
    return { threw: String(error) };
  }
}

/** Why two outcomes are not the same event, error or throw, or undefined when they are. */
function difference(quick: Outcome, schema: Outcome): string | undefined {
  if (!Bun.deepEquals(quick, schema, true)) return "results differ";
  if (!("event" in quick && quick.event && "event" in schema && schema.event)) return undefined;
  const [a, b] = [quick.event, schema.event];
  if (!Object.is(a.timestampMs, b.timestampMs)) return "timestampMs differs";
  if (Object.keys(a).join() !== "event,timestampMs,data") return "event carries other keys";
  if (Object.getPrototypeOf(a.data) !== Object.getPrototypeOf(b.data)) return "data prototype";
  if (!Bun.deepEquals(Reflect.ownKeys(a.data), Reflect.ownKeys(b.data))) return "data key order";
  if (Object.keys(a.data).some((key) => a.data[key] !== b.data[key])) return "data values";
  return undefined;
}

function compare(values: Iterable<unknown>, stored: boolean) {
  const [check, bySchema] = stored
    ? [checkStoredEvent, checkStoredEventBySchema]
    : [checkEvent, checkEventBySchema];
  const mismatches: string[] = [];
  let quick = 0;
  let total = 0;
  for (const value of values) {
    total++;
    if (quickEvent(value, at, stored ? "ignore" : "refuse")) quick++;
    const why = difference(outcome(check, value), outcome(bySchema, value));
    if (why) mismatches.push(`${why}: ${Bun.inspect(value)}`);
  }
  return { mismatches, quick, total };
}

function* generatedEvents(seed: number, count: number) {
  const random = seeded(seed);
  for (let i = 0; i < count; i++) yield generated(random);
}

describe("the quick path", () => {
  test("a typical event takes it and comes out as the schema would make it", () => {
    const value = { event: "page_view", timestamp: "2026-01-01T00:00:00.000Z", data: { a: 1 } };
    const event = { event: "page_view", timestampMs: Date.UTC(2026, 0, 1), data: { a: 1 } };
    expect(quickEvent(value, at, "refuse")).toEqual(event);
    expect(quickEvent({ ...value, timestamp: Date.UTC(2026, 0, 1) }, at, "refuse")).toEqual(event);
    expect(quickEvent({ event: "page_view" }, at, "refuse")?.timestampMs).toBe(at);
  });

  test("a timestamp with an offset or without milliseconds is left to the schema", () => {
    for (const timestamp of ["2026-01-01T02:00:00.000+02:00", "2026-01-01T00:00:00Z"]) {
      expect(quickEvent({ event: "page_view", timestamp }, at, "refuse")).toBeUndefined();
      expect(checkEvent({ event: "page_view", timestamp }, at)).toEqual({
        event: { event: "page_view", timestampMs: Date.UTC(2026, 0, 1), data: {} },
      });
    }
  });

  test("data is a fresh plain object, without a __proto__ key that came from JSON", () => {
    const value = JSON.parse('{"event":"a","data":{"b":1,"__proto__":{"c":2},"d":3}}');
    const event = quickEvent(value, at, "refuse");
    expect(event?.data).not.toBe(value.data);
    expect(Object.getPrototypeOf(event?.data)).toBe(Object.prototype);
    expect(Object.keys(event?.data ?? {})).toEqual(["b", "d"]);

    const bare = Object.assign(Object.create(null), { b: 1 });
    const copied = quickEvent({ event: "a", data: bare }, at, "refuse")?.data;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
  });

  test("an unknown key is the schema's to refuse from clients, and dropped from stored events", () => {
    const value = { event: "a", timestamp: 5, extra: 1 };
    expect(quickEvent(value, at, "refuse")).toBeUndefined();
    expect(checkEvent(value, at).error).toBeDefined();
    const stored = quickEvent(value, at, "ignore");
    expect(stored).toEqual({ event: "a", timestampMs: 5, data: {} });
    expect(Object.keys(stored ?? {})).toEqual(["event", "timestampMs", "data"]);
  });
});

describe("the quick path gives what the schema alone gives", () => {
  test("for events from clients, over generated events valid and not", () => {
    const { mismatches, quick, total } = compare(generatedEvents(1, 8000), false);
    expect(mismatches).toEqual([]);
    expect(quick).toBeGreaterThan(total * 0.1);
    expect(quick).toBeLessThan(total * 0.6);
  });

  test("for stored events, over generated events valid and not", () => {
    const { mismatches, quick, total } = compare(generatedEvents(2, 8000), true);
    expect(mismatches).toEqual([]);
    expect(quick).toBeGreaterThan(total * 0.1);
    expect(quick).toBeLessThan(total * 0.7);
  });

  test("for every day from 1969 to 2106 written canonically, and takes each one in range", () => {
    const values: unknown[] = [];
    for (let day = -3; day * dayMs <= latestMs + 3 * dayMs; day++) {
      const ms = day * dayMs + ((day * 7_919_123) % dayMs);
      values.push({ event: "a", timestamp: new Date(ms).toISOString() });
    }
    const { mismatches, quick, total } = compare(values, false);
    expect(mismatches).toEqual([]);
    expect(quick).toBe(total - 6);
  });

  test("for impossible dates in every month of every year around the range", () => {
    const values: unknown[] = [];
    for (let year = 1969; year <= 2106; year++) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 28, 29, 30, 31, 32]) {
          const date = [year, month, day].map((n, i) => String(n).padStart(i ? 2 : 4, "0"));
          values.push({ event: "a", timestamp: `${date.join("-")}T12:34:56.789Z` });
        }
      }
    }
    const { mismatches, quick } = compare(values, false);
    expect(mismatches).toEqual([]);
    let valid = 0;
    for (const value of values) if (!checkEventBySchema(value, at).error) valid++;
    expect(quick).toBe(valid);
  });
});
