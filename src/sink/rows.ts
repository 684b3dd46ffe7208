import type { KafkaMessage } from "kafkajs";
import { checkStoredEvent } from "../events/event";

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
}

/** A message read from the events topic, with the row it becomes or why it cannot become one. */
export interface SinkEntry {
  topic: string;
  partition: number;
  message: KafkaMessage;
  row?: EventRow;
  reason?: string;
}

function parse(message: KafkaMessage): { value: unknown } | { reason: string } {
  if (!message.value || message.value.length === 0) return { reason: "message has no value" };
  try {
    return { value: JSON.parse(message.value.toString("utf8")) };
  } catch {
    return { reason: "value is not valid JSON" };
  }
}

/** Decodes one message; the same event rules as the API apply, so bad input never reaches SQL. */
export function toEntry(topic: string, partition: number, message: KafkaMessage): SinkEntry {
  const parsed = parse(message);
  if ("reason" in parsed) return { topic, partition, message, reason: parsed.reason };

  const messageMs = Number(message.timestamp);
  const checked = checkStoredEvent(parsed.value, messageMs);
  if (checked.error !== undefined) {
    return { topic, partition, message, reason: `invalid event: ${checked.error}` };
  }
  const { event } = checked;
  const row: EventRow = {
    event: event.event,
    timestamp: Math.floor(event.timestampMs / 1000),
    timestamp_ms: event.timestampMs,
    data: JSON.stringify(event.data),
    received_at: Math.floor(messageMs / 1000),
    kafka_partition: partition,
    kafka_offset: Number(message.offset),
  };
  return { topic, partition, message, row };
}
