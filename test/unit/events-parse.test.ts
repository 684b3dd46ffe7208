import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/errors";
import { checkEvent, checkStoredEvent, encodeEvent } from "../../src/events/event";
import { batchFormat, parseBatch } from "../../src/events/parse";

const at = Date.UTC(2024, 4, 1, 12, 0, 0);

function apiError(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an ApiError");
}

describe("batch formats", () => {
  test("JSON and the NDJSON family are recognised by Content-Type, others are not", () => {
    expect(batchFormat("application/json")).toBe("json");
    expect(batchFormat("application/json; charset=utf-8")).toBe("json");
    expect(batchFormat("application/x-ndjson")).toBe("ndjson");
    expect(batchFormat("application/jsonl")).toBe("ndjson");
    expect(batchFormat("text/plain")).toBeUndefined();
    expect(batchFormat(undefined)).toBeUndefined();
  });
});

describe("parseBatch", () => {
  test("a JSON array gives one item per element; a lone object is a batch of one", () => {
    expect(parseBatch('[{"event":"a"},{"event":"b"}]', "json", 10)).toEqual([
      { value: { event: "a" } },
      { value: { event: "b" } },
    ]);
    expect(parseBatch('{"event":"a"}', "json", 10)).toEqual([{ value: { event: "a" } }]);
  });

  test("broken JSON is one invalid_json error for the whole body", () => {
    const error = apiError(() => parseBatch('[{"event":', "json", 10));
    expect(error.code).toBe("invalid_json");
    expect(error.message).toStartWith("Body is not valid JSON");
  });

  test("a JSON body that is neither object nor array is refused", () => {
    expect(apiError(() => parseBatch('"event"', "json", 10)).code).toBe("bad_request");
    expect(apiError(() => parseBatch("null", "json", 10)).code).toBe("bad_request");
  });

  test("an empty batch is refused", () => {
    expect(apiError(() => parseBatch("[]", "json", 10)).code).toBe("validation_failed");
    expect(apiError(() => parseBatch("\n\n", "ndjson", 10)).code).toBe("validation_failed");
  });

  test("more events than the limit is a 413, in either format", () => {
    const array = JSON.stringify(Array.from({ length: 4 }, () => ({ event: "a" })));
    expect(apiError(() => parseBatch(array, "json", 3)).status).toBe(413);
    const lines = '{"event":"a"}\n'.repeat(4);
    expect(apiError(() => parseBatch(lines, "ndjson", 3)).status).toBe(413);
    expect(parseBatch(lines, "ndjson", 4)).toHaveLength(4);
  });

  test("NDJSON skips blank lines and reports a broken line in place, keeping the others", () => {
    const body = '{"event":"a"}\r\n\n{"event":\n{"event":"c"}\n';
    expect(parseBatch(body, "ndjson", 10)).toEqual([
      { value: { event: "a" }, line: 1 },
      { error: "line is not valid JSON", line: 3 },
      { value: { event: "c" }, line: 4 },
    ]);
  });
});

describe("event rules", () => {
  test("ISO with a zone or epoch ms is kept; no timestamp means the time of receipt", () => {
    const iso = checkEvent({ event: "click", timestamp: "2024-05-01T14:00:00+02:00" }, 0);
    expect(iso).toEqual({ event: { event: "click", timestampMs: at, data: {} } });
    expect(checkEvent({ event: "click", timestamp: at, data: { a: 1 } }, 0)).toEqual({
      event: { event: "click", timestampMs: at, data: { a: 1 } },
    });
    expect(checkEvent({ event: "click" }, at)).toEqual({
      event: { event: "click", timestampMs: at, data: {} },
    });
  });

  test("each wrong field is named with a reason", () => {
    const reason = (value: unknown) => checkEvent(value, at).error;
    expect(reason({})).toStartWith("event:");
    expect(reason({ event: "" })).toBe("event: must not be empty");
    expect(reason({ event: 42 })).toBe("event: must be a string");
    expect(reason({ event: "a\u0000b" })).toBe("event: must not contain control characters");
    expect(reason({ event: "a", timestamp: "2024-05-01" })).toStartWith("timestamp:");
    expect(reason({ event: "a", timestamp: "yesterday" })).toStartWith("timestamp:");
    expect(reason({ event: "a", timestamp: -1 })).toStartWith("timestamp:");
    expect(reason({ event: "a", timestamp: "2200-01-01T00:00:00Z" })).toContain("2105");
    expect(reason({ event: "a", data: [1, 2] })).toBe("data: must be an object");
    expect(reason({ event: "a", extra: true })).toContain("Unrecognized key");
    expect(reason("click")).toBeDefined();
  });

  test("the stored form makes the timestamp explicit and reads back to the same event", () => {
    const checked = checkEvent({ event: "view", data: { page: "/" } }, at);
    if (checked.error !== undefined) throw new Error(checked.error);
    const stored = JSON.parse(encodeEvent(checked.event));
    expect(stored).toEqual({
      event: "view",
      timestamp: "2024-05-01T12:00:00.000Z",
      data: { page: "/" },
    });
    expect(checkStoredEvent(stored, 0)).toEqual(checked);
  });

  test("a timestamp is stored in one form, whatever form it was sent in", () => {
    const stored = (timestamp: unknown) => {
      const checked = checkEvent({ event: "view", timestamp }, 0);
      if (checked.error !== undefined) throw new Error(checked.error);
      return JSON.parse(encodeEvent(checked.event, timestamp)).timestamp;
    };
    const utc = "2024-05-01T12:00:00.250Z";
    expect(stored(utc)).toBe(utc);
    expect(stored("2024-05-01T14:00:00.25+02:00")).toBe(utc);
    expect(stored("2024-05-01T12:00:00.250000Z")).toBe(utc);
    expect(stored(Date.parse(utc))).toBe(utc);
    // A hint that is canonical but names another moment is not taken.
    const checked = checkEvent({ event: "view", timestamp: utc }, 0);
    if (checked.error !== undefined) throw new Error(checked.error);
    const other = "2030-01-01T00:00:00.000Z";
    expect(JSON.parse(encodeEvent(checked.event, other)).timestamp).toBe(utc);
  });

  test("the sink ignores fields it does not know and falls back to the message time", () => {
    expect(checkStoredEvent({ event: "view", version: 2 }, at)).toEqual({
      event: { event: "view", timestampMs: at, data: {} },
    });
  });
});
