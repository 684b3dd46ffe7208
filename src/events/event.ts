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

/** One analytics event as clients send it; the same rules apply again in the sink. */
export const eventSchema = z.strictObject({
  event: z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(256, "must be at most 256 characters")
    .regex(/^[^\p{Cc}]+$/u, "must not contain control characters"),
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

/** Checks one event a client sent; a missing timestamp becomes `receivedAt`. */
export function checkEvent(value: unknown, receivedAt: number): Checked {
  const result = eventSchema.safeParse(value);
  if (!result.success) return { error: firstIssue(result.error) };
  return { event: normalize(result.data, receivedAt) };
}

// Other producers may add fields this version does not know; the sink keeps what it knows.
const storedSchema = eventSchema.strip();

/** Checks an event read back from Kafka; a missing timestamp becomes the message's own. */
export function checkStoredEvent(value: unknown, messageMs: number): Checked {
  const result = storedSchema.safeParse(value);
  if (!result.success) return { error: firstIssue(result.error) };
  return { event: normalize(result.data, messageMs) };
}

/** The message value on the events topic: the event with its timestamp made explicit. */
export function encodeEvent(event: Event): string {
  return JSON.stringify({
    event: event.event,
    timestamp: new Date(event.timestampMs).toISOString(),
    data: event.data,
  });
}
