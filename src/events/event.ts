import { z } from "zod";

/** ClickHouse DateTime counts seconds in a UInt32, so nothing after 2105 can be stored. */
const latestMs = Date.UTC(2106, 0, 1) - 1;
const range = "must lie between 1970 and 2105";

const timestampText = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date-time with a zone, e.g. …Z" })
  .refine((text) => {
    const ms = Date.parse(text);
    return ms >= 0 && ms <= latestMs;
  }, range);
const timestampNumber = z
  .number({ error: "must be an ISO 8601 string or epoch milliseconds" })
  .int("must be whole epoch milliseconds")
  .min(0, range)
  .max(latestMs, range);

// Shared with the quick path, so both refuse exactly the same names.
const eventName = /^[^\p{Cc}]+$/u;

/** One analytics event as clients send it; the same rules apply again in the sink. */
export const eventSchema = z.strictObject({
  event: z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(256, "must be at most 256 characters")
    .regex(eventName, "must not contain control characters"),
  timestamp: z
    .union([timestampText, timestampNumber])
    .optional()
    .describe("ISO 8601 with a zone, or epoch milliseconds; defaults to the time of receipt"),
  data: z.record(z.string(), z.unknown(), { error: "must be an object" }).optional(),
});

export type EventInput = z.infer<typeof eventSchema>;

export interface Event {
  event: string;
  timestampMs: number;
  data: Record<string, unknown>;
}

export type Checked = { event: Event; error?: undefined } | { error: string };

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid event";
  const path = issue.path.join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function normalize(input: EventInput, defaultMs: number): Event {
  const { timestamp } = input;
  const timestampMs =
    timestamp === undefined
      ? defaultMs
      : typeof timestamp === "number"
        ? timestamp
        : Date.parse(timestamp);
  return { event: input.event, timestampMs, data: input.data ?? {} };
}

/*
 * The quick path. Zod costs about a microsecond an event, most of it on events that are plainly
 * fine, so the common shape is checked by hand first. It may only say "valid, and here is what
 * the schema would have made of it"; on any doubt it returns undefined and the schema decides,
 * so the schema stays the one definition of an event and the one source of error messages.
 */

type Plain = Record<string, unknown>;

// Objects from JSON.parse, or built with `{}` or `Object.create(null)`; not class instances.
function isPlain(value: unknown): value is Plain {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// What toISOString() writes: a digit wherever this has a 0, these separators elsewhere.
const isoShape = "0000-00-00T00:00:00.000Z";
const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const leapYearsThrough = (year: number) =>
  Math.floor(year / 4) - Math.floor(year / 100) + Math.floor(year / 400);
const leapYearsBefore1970 = leapYearsThrough(1969);

function field(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * Epoch ms of a timestamp written exactly as toISOString() writes it, for 1970 to 2105, else
 * undefined. Such a string is a real date the schema's pattern takes, and the arithmetic gives
 * what Date.parse gives; Date.parse alone costs a fifth of a microsecond here.
 */
export function canonicalMs(text: string): number | undefined {
  if (text.length !== isoShape.length) return undefined;
  if (text === lastCanonical.text) return lastCanonical.ms;
  const ms = readCanonical(text);
  lastCanonical.text = text;
  lastCanonical.ms = ms;
  return ms;
}

// encodeEvent asks again about the text the quick path has just read; the answer is kept for it.
const lastCanonical: { text: string; ms: number | undefined } = { text: "", ms: undefined };

function readCanonical(text: string): number | undefined {
  for (let i = 0; i < isoShape.length; i++) {
    const code = text.charCodeAt(i);
    const shape = isoShape.charCodeAt(i);
    if (shape === 48 ? code < 48 || code > 57 : code !== shape) return undefined;
  }

  const year = field(text, 0, 4);
  const month = field(text, 5, 7);
  const day = field(text, 8, 10);
  const hour = field(text, 11, 13);
  const minute = field(text, 14, 16);
  const second = field(text, 17, 19);
  if (year < 1970 || year > 2105 || month < 1 || month > 12) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthLength = (monthDays[month - 1] ?? 0) + (month === 2 && leap ? 1 : 0);
  if (day < 1 || day > monthLength || hour > 23 || minute > 59 || second > 59) return undefined;

  let days = (year - 1970) * 365 + leapYearsThrough(year - 1) - leapYearsBefore1970 + day - 1;
  for (let m = 0; m < month - 1; m++) days += monthDays[m] ?? 0;
  if (leap && month > 2) days += 1;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + field(text, 20, 23);
}

/**
 * Zod's record returns a fresh object with the usual prototype: the own enumerable string keys in
 * their order, a `__proto__` key from JSON dropped, a symbol key refused. Handing back the input
 * itself would differ for a null-prototype object or that `__proto__` key, so the copy is made
 * the same way; anything with a symbol key goes to the schema.
 */
function copyData(data: unknown): Plain | undefined {
  if (!isPlain(data)) return undefined;
  // Zod judges plainness by `constructor` too; any function there but Object is its call.
  const ctor = data.constructor;
  if (typeof ctor === "function" && ctor !== Object) return undefined;
  if (Object.getOwnPropertySymbols(data).length > 0) return undefined;
  const copy: Plain = {};
  for (const key in data) {
    if (key !== "__proto__" && Object.hasOwn(data, key)) copy[key] = data[key];
  }
  return copy;
}

/** The event the schema would return for `value`, or undefined when only the schema can say. */
export function quickEvent(
  value: unknown,
  defaultMs: number,
  otherKeys: "refuse" | "ignore",
): Event | undefined {
  if (!isPlain(value)) return undefined;
  if (otherKeys === "refuse") {
    for (const key in value) {
      if (key !== "event" && key !== "timestamp" && key !== "data") return undefined;
    }
  }

  const { event, timestamp, data } = value;
  if (typeof event !== "string" || event.length === 0 || event.length > 256) return undefined;
  if (!eventName.test(event)) return undefined;

  let timestampMs: number | undefined;
  if (timestamp === undefined) timestampMs = defaultMs;
  else if (typeof timestamp === "string") timestampMs = canonicalMs(timestamp);
  else if (typeof timestamp === "number" && Number.isInteger(timestamp)) {
    if (timestamp >= 0 && timestamp <= latestMs) timestampMs = timestamp;
  }
  if (timestampMs === undefined) return undefined;

  // Copied last: nothing after it can hand the event to the schema, so a getter runs only once.
  const copy = data === undefined ? {} : copyData(data);
  return copy && { event, timestampMs, data: copy };
}

// Other producers may add fields this version does not know; the sink keeps what it knows.
const storedSchema = eventSchema.strip();

/** The schema alone, without the quick path: the reference the quick path is held to. */
export function checkEventBySchema(value: unknown, receivedAt: number): Checked {
  const result = eventSchema.safeParse(value);
  if (!result.success) return { error: firstIssue(result.error) };
  return { event: normalize(result.data, receivedAt) };
}

/** The stored schema alone, without the quick path. */
export function checkStoredEventBySchema(value: unknown, messageMs: number): Checked {
  const result = storedSchema.safeParse(value);
  if (!result.success) return { error: firstIssue(result.error) };
  return { event: normalize(result.data, messageMs) };
}

/** Checks one event a client sent; a missing timestamp becomes `receivedAt`. */
export function checkEvent(value: unknown, receivedAt: number): Checked {
  const event = quickEvent(value, receivedAt, "refuse");
  return event ? { event } : checkEventBySchema(value, receivedAt);
}

/** Checks an event read back from Kafka; a missing timestamp becomes the message's own. */
export function checkStoredEvent(value: unknown, messageMs: number): Checked {
  const event = quickEvent(value, messageMs, "ignore");
  return event ? { event } : checkStoredEventBySchema(value, messageMs);
}

/**
 * The message value on the events topic: the event with its timestamp made explicit, always in
 * UTC with milliseconds. `sentAs` is the timestamp as the client sent it, if any.
 */
export function encodeEvent(event: Event, sentAs?: unknown): string {
  // A timestamp sent in exactly the form written here is kept as sent: formatting a Date costs
  // more than checking the text.
  const canonical = typeof sentAs === "string" && canonicalMs(sentAs) === event.timestampMs;
  return JSON.stringify({
    event: event.event,
    timestamp: canonical ? sentAs : new Date(event.timestampMs).toISOString(),
    data: event.data,
  });
}
