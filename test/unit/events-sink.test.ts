import { describe, expect, test } from "bun:test";
import type { KafkaMessage } from "kafkajs";
import { eventLines } from "../../src/events/message";
import { deadLetter, deadLetterHeaders } from "../../src/sink/dead-letters";
import { blamesData, clickhouseCode, insertOrIsolate } from "../../src/sink/insert";
import { backoffDelay, retryUntilDone, SinkStopped } from "../../src/sink/retry";
import type { EventRow } from "../../src/sink/rows";
import { entryBytes, toEntries } from "../../src/sink/rows";

const at = Date.UTC(2024, 4, 1, 12, 0, 0);

function message(value: string | null, offset = "7", extra: Partial<KafkaMessage> = {}) {
  return {
    key: Buffer.from("k"),
    value: value === null ? null : Buffer.from(value),
    timestamp: String(at),
    attributes: 0,
    offset,
    headers: { source: Buffer.from("test") },
    ...extra,
  } as KafkaMessage;
}

// 18.16 reports errors as text only; current releases also give the code on the error.
const oldServerError = (code: number, text: string) =>
  new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception`);

const lineHeaders = { [eventLines.header]: Buffer.from(eventLines.type) };
const only = (entries: ReturnType<typeof toEntries>) => {
  expect(entries).toHaveLength(1);
  return entries[0];
};

describe("decoding messages from the events topic", () => {
  test("a stored event becomes a row keyed by its partition and offset", () => {
    const value = JSON.stringify({
      event: "view",
      timestamp: "2024-05-01T12:00:00.500Z",
      data: {},
    });
    const entry = only(toEntries("events", 2, message(value, "41")));
    expect(entry?.row).toEqual({
      event: "view",
      timestamp: at / 1000,
      timestamp_ms: at + 500,
      data: "{}",
      received_at: at / 1000,
      kafka_partition: 2,
      kafka_offset: 41,
      kafka_index: 0,
    });
    expect(entry?.reason).toBeUndefined();
  });

  test("what cannot become a row carries the reason instead", () => {
    const reason = (value: string | null) => only(toEntries("t", 0, message(value)))?.reason;
    expect(reason(null)).toBe("message has no value");
    expect(reason("not json{")).toBe("value is not valid JSON");
    expect(reason('{"event":""}')).toBe("invalid event: event: must not be empty");
  });

  test("without the lines header a value with line breaks is still one event", () => {
    const pretty = JSON.stringify({ event: "view", data: { a: 1 } }, null, 2);
    const entry = only(toEntries("t", 0, message(pretty)));
    expect(entry?.row?.event).toBe("view");
    expect(entry?.row?.timestamp_ms).toBe(at);
  });

  test("a message of lines gives a row per line, each with its line and its own bytes", () => {
    const value = [
      '{"event":"a","timestamp":"2024-05-01T12:00:01.000Z"}',
      "",
      '{"event":""}',
      "not json{",
      '{"event":"b","data":{"n":2}}\r',
      "",
    ].join("\n");
    const entries = toEntries("t", 1, message(value, "9", { headers: lineHeaders }));
    expect(entries.map((entry) => entry.line)).toEqual([0, 2, 3, 4]);
    expect(entries.map((entry) => entry.row?.event)).toEqual(["a", undefined, undefined, "b"]);
    expect(entries.map((entry) => entry.row?.kafka_index)).toEqual([0, undefined, undefined, 4]);
    expect(entries[0]?.row).toMatchObject({ kafka_offset: 9, timestamp_ms: at + 1000 });
    expect(entries[1]?.reason).toBe("invalid event: event: must not be empty");
    expect(entries[1] && entryBytes(entries[1])?.toString()).toBe('{"event":""}');
    expect(entries[2]?.reason).toBe("value is not valid JSON");
    expect(entries[3]?.row?.data).toBe('{"n":2}');
  });

  test("a message of lines with no event in it is refused whole", () => {
    const entry = only(toEntries("t", 0, message("\n \n", "3", { headers: lineHeaders })));
    expect(entry?.reason).toBe("message has no event");
  });
});

describe("ClickHouse errors", () => {
  test("the code is read from the error object or from 18.16's text", () => {
    expect(clickhouseCode(oldServerError(41, "Cannot parse datetime"))).toBe(41);
    expect(clickhouseCode(Object.assign(new Error("x"), { code: "27" }))).toBe(27);
    expect(clickhouseCode(new TypeError("ECONNREFUSED"))).toBeUndefined();
  });

  test("parse errors blame the data; a server that is down or a missing table do not", () => {
    expect(blamesData(oldServerError(27, "Cannot parse input"))).toBe(true);
    expect(blamesData(oldServerError(60, "Table x.events doesn't exist."))).toBe(false);
    expect(blamesData(new TypeError("Unable to connect"))).toBe(false);
    const olderTable = "Unknown field found while parsing JSONEachRow format: kafka_index";
    expect(blamesData(oldServerError(117, olderTable))).toBe(false);
    expect(blamesData(oldServerError(252, "Too many parts (300). Merges are slower"))).toBe(false);
    const spread = oldServerError(
      252,
      "Too many partitions for single INSERT block (more than 100)",
    );
    expect(blamesData(spread)).toBe(true);
  });
});

describe("insertOrIsolate", () => {
  const item = (name: string) => ({ row: { event: name } as EventRow });

  test("one bad row is isolated by halving; every other row is stored", async () => {
    const stored: string[] = [];
    let calls = 0;
    const insert = async (rows: EventRow[]) => {
      calls++;
      if (rows.some((row) => row.event === "bad")) throw oldServerError(27, "Cannot parse input");
      stored.push(...rows.map((row) => row.event));
    };
    const items = ["a", "b", "c", "bad", "e", "f", "g"].map(item);
    const refused = await insertOrIsolate(items, insert);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.item.row?.event).toBe("bad");
    expect(refused[0]?.reason).toStartWith("clickhouse refused the row: Code: 27");
    expect(stored.toSorted()).toEqual(["a", "b", "c", "e", "f", "g"]);
    expect(calls).toBeLessThan(items.length * 2);
  });

  test("an error that does not blame the data is thrown for a retry, nothing refused", async () => {
    const insert = async () => {
      throw new TypeError("ECONNREFUSED: Unable to connect");
    };
    await expect(insertOrIsolate([item("a"), item("b")], insert)).rejects.toThrow("ECONNREFUSED");
  });
});

describe("dead letters", () => {
  test("keep key, value and headers, and add the reason and the origin", () => {
    const original = message("not json{", "12");
    const letter = deadLetter(
      "events-dlq",
      { topic: "events", partition: 1, message: original },
      "bad",
    );
    expect(letter.topic).toBe("events-dlq");
    expect(letter.key).toEqual(Buffer.from("k"));
    expect(letter.value).toEqual(Buffer.from("not json{"));
    expect(letter.headers).toEqual({
      source: Buffer.from("test"),
      [deadLetterHeaders.reason]: "bad",
      [deadLetterHeaders.topic]: "events",
      [deadLetterHeaders.partition]: "1",
      [deadLetterHeaders.offset]: "12",
    });
  });

  test("from a message of lines, carry the one refused line and say which it was", () => {
    const original = message('{"event":"a"}\n{"event":""}', "5", { headers: lineHeaders });
    const [, refused] = toEntries("events", 0, original);
    if (!refused) throw new Error("expected two entries");
    const letter = deadLetter("events-dlq", refused, "bad");
    expect(letter.value).toEqual(Buffer.from('{"event":""}'));
    expect(letter.headers).toMatchObject({
      [eventLines.header]: Buffer.from(eventLines.type),
      [deadLetterHeaders.offset]: "5",
      [deadLetterHeaders.line]: "1",
    });
  });
});

describe("retries", () => {
  test("the backoff grows and stays under its ceiling", () => {
    expect(backoffDelay(1, 30_000)).toBeLessThanOrEqual(300);
    expect(backoffDelay(3, 30_000)).toBeGreaterThanOrEqual(800);
    expect(backoffDelay(40, 30_000)).toBeLessThanOrEqual(36_000);
  });

  test("work is retried until it succeeds, and given up when abandoned", async () => {
    let attempts = 0;
    const failures: number[] = [];
    const result = await retryUntilDone(
      async () => {
        if (++attempts < 3) throw new Error("not yet");
        return "done";
      },
      { maxDelayMs: 5, abandoned: () => false, onFailure: (_e, attempt) => failures.push(attempt) },
    );
    expect(result).toBe("done");
    expect(failures).toEqual([1, 2]);

    let stop = false;
    const endless = retryUntilDone(
      async () => {
        stop = true;
        throw new Error("down");
      },
      { maxDelayMs: 5, abandoned: () => stop, onFailure: () => {} },
    );
    await expect(endless).rejects.toBeInstanceOf(SinkStopped);
  });
});
