import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/errors";
import { eventIngest } from "../../src/events/ingest";
import { type BatchFormat, parseBatch } from "../../src/events/parse";
import { scanBatch } from "../../src/events/scan";
import type { EventProducer } from "../../src/kafka/producer";

const at = Date.UTC(2026, 4, 1);
const maxBatch = 40;

/** What a body comes to: the reply or the error, and the bytes of every message sent. */
async function outcome(read: () => ReturnType<typeof parseBatch>) {
  const messages: string[] = [];
  const producer: EventProducer = {
    async send(sent) {
      for (const message of sent) messages.push(Buffer.from(message.value ?? "").toString());
      return [];
    },
    async stop() {},
  };
  const ingest = eventIngest({ producer, topic: "events", perMessage: 7 });
  try {
    return { result: await ingest(read(), at), messages };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { error: { code: error.code, message: error.message, details: error.details } };
  }
}

let storedSeen = 0;

/** The body read from its bytes, and the same body read as text the way it always was. */
async function bothWays(body: Uint8Array, format: BatchFormat) {
  const scanned = await outcome(() => {
    const items = scanBatch(body, format, maxBatch);
    storedSeen += items.filter((item) => item.stored).length;
    return items;
  });
  const parsed = await outcome(() => parseBatch(new TextDecoder().decode(body), format, maxBatch));
  return { scanned, parsed };
}

function seeded(seed: number) {
  let state = seed >>> 0;
  // The high bits: a generator of this kind repeats its low bits in short cycles.
  return <T>(from: readonly T[]): T => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return from[Math.floor((state / 2 ** 32) * from.length)] as T;
  };
}
type Pick = ReturnType<typeof seeded>;

// Each list starts with what the stored form allows; `usually` picks from those most of the time.
const usually = <T>(pick: Pick, from: readonly T[], good: number): T =>
  pick([0, 1, 2, 3, 4, 5]) < 5 ? pick(from.slice(0, good)) : pick(from);

const names = [
  '"page_view"',
  '"a"',
  '"spaced name"',
  `"${"n".repeat(256)}"`,
  `"${"n".repeat(257)}"`,
  '""',
  '"tab\\there"',
  '"del\u007f"',
  '"quote\\"d"',
  '"\\u0041"',
  '"ページ"',
  "42",
  "null",
];
const timestamps = [
  '"2026-01-01T00:00:00.000Z"',
  '"2024-02-29T23:59:59.999Z"',
  '"2025-02-29T00:00:00.000Z"',
  '"2026-01-01T00:00:00Z"',
  '"2026-01-01T02:00:00.000+02:00"',
  '"2106-01-01T00:00:00.000Z"',
  "1767225600000",
  "-1",
  '"2026-01-01T00:00:00.000z"',
];
const scalars = [
  '"text"',
  '""',
  '"esc \\" \\\\ \\n \\t \\r \\b \\f"',
  "0",
  "7",
  "-12",
  "123456789012345",
  "1.5",
  "0.1",
  "1e+21",
  "1.5e-7",
  "true",
  "false",
  "null",
  '"\\u0001"',
  '"\\u00e9"',
  '"\\/"',
  '"é"',
  '"😀"',
  '"\u2028"',
  "0",
  "-0",
  "7",
  "-12",
  "007",
  "123456789012345",
  "1234567890123456",
  "12345678901234567890",
  "1.5",
  "1.50",
  "0.1",
  "1e2",
  "1E2",
  "1e+21",
  "1.5e-7",
  "1e400",
  "-",
  "true",
  "false",
  "null",
  "nul",
];
const keys = ['"a"', '"b"', '"user"', '"a b"', '"0"', '"12"', '"01"', '"__proto__"', '"é"', '""'];

function value(pick: Pick, depth: number): string {
  const kind = depth > 3 ? 0 : pick([0, 0, 0, 1, 2]);
  if (kind === 0) return usually(pick, scalars, 16);
  if (kind === 1)
    return `[${Array.from({ length: pick([0, 1, 3]) }, () => value(pick, depth + 1)).join(",")}]`;
  return object(pick, depth + 1);
}

function object(pick: Pick, depth: number): string {
  const members = Array.from({ length: pick([0, 1, 2, 4]) }, () => {
    const sep = pick([":", ":", ":", ":", ":", ": "]);
    return `${usually(pick, keys, 4)}${sep}${value(pick, depth)}`;
  });
  return `{${members.join(pick([",", ",", ",", ",", ",", ", "]))}}`;
}

function element(pick: Pick): string {
  const shape = pick([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
  const name = usually(pick, names, 4);
  const stamp = usually(pick, timestamps, 2);
  const data = pick([object(pick, 1), object(pick, 1), "[]", "null", '"x"']);
  if (shape === 1) return `{"timestamp":${stamp},"event":${name},"data":${data}}`;
  if (shape === 2) return `{"event":${name},"data":${data}}`;
  if (shape === 3) return `{"event":${name},"timestamp":${stamp},"data":${data},"x":1}`;
  if (shape === 4) return pick(['"event"', "5", "null", "[]", `{ "event": ${name} }`, "{"]);
  if (shape === 5) return `{"event":${name},"timestamp":${stamp},"data":{"a":{"b":${data}}}}`;
  return `{"event":${name},"timestamp":${stamp},"data":${data}}`;
}

function jsonBody(pick: Pick): string {
  const elements = Array.from({ length: pick([0, 1, 3, 12, maxBatch + 1]) }, () => element(pick));
  const inner = elements.join(pick([",", ",", ", ", ",\n"]));
  const kind = pick([0, 0, 0, 0, 1, 2, 3, 4, 5]);
  if (kind === 1 && elements[0]) return elements[0];
  if (kind === 2) return ` [ ${inner} ]\n`;
  if (kind === 3) return `\ufeff[${inner}]`;
  if (kind === 4) return pick([`[${inner},]`, `[${inner}]x`, `[${inner}`, `[${inner}]]`, "5"]);
  if (kind === 5) return `[${inner}] `;
  return `[${inner}]`;
}

function ndjsonBody(pick: Pick): string {
  const lines = Array.from({ length: pick([0, 1, 4, 12, maxBatch + 1]) }, () => {
    const line = element(pick);
    return pick(["", "", "", " ", "\r", "\u00a0", "\t"]) + line + pick(["", "", "\r", " \u00a0"]);
  });
  if (pick([0, 1, 2, 3]) === 0) lines.splice(1, 0, "", "  ", "\ufeff", "not json");
  const text = lines.join("\n") + pick(["", "\n", "\n\n"]);
  return pick([0, 0, 0, 1]) === 1 ? `\ufeff${text}` : text;
}

describe("reading a batch from its bytes gives what reading its text gives", () => {
  test("for generated JSON bodies, valid and not", async () => {
    const pick = seeded(3);
    storedSeen = 0;
    for (let round = 0; round < 1_500; round++) {
      const body = jsonBody(pick);
      const { scanned, parsed } = await bothWays(new TextEncoder().encode(body), "json");
      expect({ body, ...scanned }).toEqual({ body, ...parsed });
    }
    // Both ways are really compared: a good share of the events took the byte path.
    expect(storedSeen).toBeGreaterThan(200);
  });

  test("for generated NDJSON bodies, valid and not", async () => {
    const pick = seeded(4);
    storedSeen = 0;
    for (let round = 0; round < 1_500; round++) {
      const body = ndjsonBody(pick);
      const { scanned, parsed } = await bothWays(new TextEncoder().encode(body), "ndjson");
      expect({ body, ...scanned }).toEqual({ body, ...parsed });
    }
    expect(storedSeen).toBeGreaterThan(200);
  });

  test("for bytes that are not UTF-8, and events larger than a message", async () => {
    const stored = '{"event":"a","timestamp":"2026-01-01T00:00:00.000Z","data":{"s":"';
    const bad = Buffer.concat([
      Buffer.from(`[${stored}`),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('"}}]'),
    ]);
    for (const format of ["json", "ndjson"] as const) {
      const { scanned, parsed } = await bothWays(
        format === "json" ? bad : bad.subarray(1, -1),
        format,
      );
      expect(scanned).toEqual(parsed);
    }
    const huge = `[${stored}${"x".repeat(1_000_000)}"}}]`;
    const { scanned, parsed } = await bothWays(new TextEncoder().encode(huge), "json");
    expect(scanned).toEqual(parsed);
    expect(scanned.error?.details).toEqual([{ index: 0, error: expect.stringMatching(/larger/) }]);
  });
});

describe("events in the stored form are kept as their bytes", () => {
  test("events as JSON.stringify writes them take the byte path, as arrays and as lines", () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      event: `page_view_${i}`,
      timestamp: new Date(at + i * 1000).toISOString(),
      data: { user: `u${i}`, n: i, price: i / 4, tags: ["a", null, true], nested: { k: -i } },
    }));
    const array = scanBatch(new TextEncoder().encode(JSON.stringify(events)), "json", maxBatch);
    const lines = events.map((event) => JSON.stringify(event)).join("\n");
    const ndjson = scanBatch(new TextEncoder().encode(lines), "ndjson", maxBatch);
    for (const items of [array, ndjson]) {
      expect(items.every((item) => item.stored !== undefined)).toBe(true);
      expect(items.map((item) => new TextDecoder().decode(item.stored))).toEqual(
        events.map((event) => JSON.stringify(event)),
      );
    }
  });

  test("what JSON.parse would change goes the usual way", () => {
    const base = '{"event":"a","timestamp":"2026-01-01T00:00:00.000Z","data":';
    for (const data of ['{"a":1,"a":2}', '{"b":1,"1":2}', '{"__proto__":{}}', '{"a":1.0}']) {
      const [item] = scanBatch(new TextEncoder().encode(`${base}${data}}`), "json", maxBatch);
      expect(item?.stored).toBeUndefined();
      expect(item?.value).toEqual(JSON.parse(`${base}${data}}`));
    }
  });
});
