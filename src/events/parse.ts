import { ApiError } from "../errors";

export type BatchFormat = "json" | "ndjson";

/** One position of a batch: a parsed value, or why its line could not be parsed. */
export interface BatchItem {
  value?: unknown;
  /** An event that came in the stored form: its bytes are its line (see scan.ts). */
  stored?: Uint8Array;
  error?: string;
  /** 1-based line of the body, for NDJSON. */
  line?: number;
}

const jsonType = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
const ndjsonType = /^application\/(x-)?(ndjson|jsonl|jsonlines|json-lines)\s*(;|$)/i;

/** The batch format named by a Content-Type header, if it is one this API reads. */
export function batchFormat(contentType: string | undefined): BatchFormat | undefined {
  if (!contentType) return undefined;
  if (jsonType.test(contentType)) return "json";
  if (ndjsonType.test(contentType)) return "ndjson";
  return undefined;
}

export const tooMany = (maxBatch: number) =>
  new ApiError("payload_too_large", `A batch may hold at most ${maxBatch} events`);

export const noEvents = () => new ApiError("validation_failed", "The batch holds no events");

const isObject = (value: unknown) =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parseJson(text: string, maxBatch: number): BatchItem[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "malformed";
    throw new ApiError("invalid_json", `Body is not valid JSON: ${reason}`);
  }
  if (isObject(body)) return [{ value: body }];
  if (!Array.isArray(body)) {
    throw new ApiError("bad_request", "Body must be an event object or an array of events");
  }
  if (body.length > maxBatch) throw tooMany(maxBatch);
  return body.map((value) => ({ value }));
}

// Blank lines are skipped; a line that is not JSON is reported in its place, the rest still count.
function parseNdjson(text: string, maxBatch: number): BatchItem[] {
  const items: BatchItem[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? "").trim();
    if (line === "") continue;
    if (items.length === maxBatch) throw tooMany(maxBatch);
    try {
      items.push({ value: JSON.parse(line), line: index + 1 });
    } catch {
      items.push({ error: "line is not valid JSON", line: index + 1 });
    }
  }
  return items;
}

/** Splits a request body into the values of its events, refusing batches over `maxBatch`. */
export function parseBatch(text: string, format: BatchFormat, maxBatch: number): BatchItem[] {
  const items = format === "json" ? parseJson(text, maxBatch) : parseNdjson(text, maxBatch);
  if (items.length === 0) throw noEvents();
  return items;
}
