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
  /** The event's own bytes: the whole value, or its line. A dead letter carries these. */
  value: Buffer | null;
  row?: EventRow;
  reason?: string;
}

function parse(value: Buffer): { value: unknown } | { reason: string } {
  try {
    return { value: JSON.parse(value.toString("utf8")) };
  } catch {
    return { reason: "value is not valid JSON" };
  }
}

/** Decodes one event; the same event rules as the API apply, so bad input never reaches SQL. */
function toEntry(
  base: Omit<SinkEntry, "row" | "reason">,
  messageMs: number,
  offset: number,
): SinkEntry {
  if (!base.value || base.value.length === 0) return { ...base, reason: "message has no value" };
  const parsed = parse(base.value);
  if ("reason" in parsed) return { ...base, reason: parsed.reason };

  const checked = checkStoredEvent(parsed.value, messageMs);
  if (checked.error !== undefined) return { ...base, reason: `invalid event: ${checked.error}` };
  const { event } = checked;
  const row: EventRow = {
    event: event.event,
    timestamp: Math.floor(event.timestampMs / 1000),
    timestamp_ms: event.timestampMs,
    data: JSON.stringify(event.data),
    received_at: Math.floor(messageMs / 1000),
    kafka_partition: base.partition,
    kafka_offset: offset,
    kafka_index: base.line ?? 0,
  };
  return { ...base, row };
}

/** The events of one message: one, or one per line when its headers say it holds lines. */
export function toEntries(topic: string, partition: number, message: KafkaMessage): SinkEntry[] {
  const messageMs = Number(message.timestamp);
  const offset = Number(message.offset);
  if (!message.value || !holdsLines(message.headers)) {
    return [toEntry({ topic, partition, message, value: message.value }, messageMs, offset)];
  }
  const lines = splitLines(message.value);
  if (lines.length === 0) {
    return [{ topic, partition, message, value: message.value, reason: "message has no event" }];
  }
  return lines.map(({ index, bytes }) =>
    toEntry({ topic, partition, message, line: index, value: bytes }, messageMs, offset),
  );
}
