import type { KafkaMessage } from "kafkajs";
import { checkStoredEvent } from "../events/event";
import { holdsLines, splitLines } from "../events/message";

/**
 * One row of the events table, as JSONEachRow wants it: DateTime as Unix seconds and plain JSON
 * numbers, which ClickHouse 18.16 and current releases read alike.
 */
export interface EventRow {
  event: string;
  timestamp: number;
  timestamp_ms: number;
  data: string;
  received_at: number;
  kafka_partition: number;
  kafka_offset: number;
  /** The event's line in its message; 0 for a message that is one event. */
  kafka_index: number;
}

/** One event read from the events topic, with the row it becomes or why it cannot become one. */
export interface SinkEntry {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** Where the event sits in a message of lines; absent for a message that is one event. */
  line?: number;
  row?: EventRow;
  reason?: string;
}

/** The event's own bytes, as read: the whole value, or its line. A dead letter carries these. */
export function entryBytes(entry: SinkEntry): Buffer | null {
  const { value } = entry.message;
  if (entry.line === undefined || !value) return value;
  return splitLines(value).find((line) => line.index === entry.line)?.bytes ?? null;
}

/** What one event's text becomes; the same event rules as the API apply, so bad input never reaches SQL. */
function decode(
  text: string,
  base: { topic: string; partition: number; message: KafkaMessage; line?: number },
  messageMs: number,
): SinkEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ...base, reason: "value is not valid JSON" };
  }
  const checked = checkStoredEvent(value, messageMs);
  if (checked.error !== undefined) return { ...base, reason: `invalid event: ${checked.error}` };
  const { event } = checked;
  const row: EventRow = {
    event: event.event,
    timestamp: Math.floor(event.timestampMs / 1000),
    timestamp_ms: event.timestampMs,
    data: JSON.stringify(event.data),
    received_at: Math.floor(messageMs / 1000),
    kafka_partition: base.partition,
    kafka_offset: Number(base.message.offset),
    kafka_index: base.line ?? 0,
  };
  return { ...base, row };
}

// As in `splitLines`: JSON's own whitespace, so both count the same lines as blank.
const blank = /^[ \t\r]*$/;

/**
 * The events of one message: one, or one per line when its headers say it holds lines. A message
 * of lines is decoded to text once; blank lines are skipped but keep their place in the count.
 */
export function toEntries(topic: string, partition: number, message: KafkaMessage): SinkEntry[] {
  const messageMs = Number(message.timestamp);
  const { value } = message;
  if (!value || value.length === 0) {
    return [{ topic, partition, message, reason: "message has no value" }];
  }
  if (!holdsLines(message.headers)) {
    return [decode(value.toString("utf8"), { topic, partition, message }, messageMs)];
  }
  const entries: SinkEntry[] = [];
  const lines = value.toString("utf8").split("\n");
  for (let line = 0; line < lines.length; line++) {
    const text = lines[line] ?? "";
    if (text.charCodeAt(0) !== 0x7b && blank.test(text)) continue;
    entries.push(decode(text, { topic, partition, message, line }, messageMs));
  }
  if (entries.length === 0) return [{ topic, partition, message, reason: "message has no event" }];
  return entries;
}
