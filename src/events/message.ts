import type { IHeaders } from "kafkajs";

/**
 * How events travel on the events topic. `POST /api/events` puts up to EVENTS_PER_MESSAGE events
 * of one request into a message, one JSON object per line, and says so in this header: Kafka
 * then carries one record per hundred events instead of one per event, which is what lets the
 * API keep up with a native client. Consumers that read JSON lines, ClickHouse's Kafka engine
 * with JSONEachRow among them, read such messages as they are. A message without the header
 * (sent through produce, or by another producer) is one event.
 */
export const eventLines = { header: "content-type", type: "application/x-ndjson" } as const;

/** True when a message's headers say it holds one event per line. */
export function holdsLines(headers: IHeaders | undefined): boolean {
  const value = headers?.[eventLines.header];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last !== undefined && last.toString() === eventLines.type;
}

/** One line of a message: its position among the lines (from 0) and its bytes. */
export interface EventLine {
  index: number;
  bytes: Buffer;
}

const newline = 0x0a;
const blank = new Set([0x20, 0x09, 0x0d]);

function isBlank(value: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (!blank.has(value[at] ?? 0)) return false;
  return true;
}

/** The lines of a message value; blank lines are skipped but keep their place in the count. */
export function splitLines(value: Buffer): EventLine[] {
  const lines: EventLine[] = [];
  let start = 0;
  for (let index = 0; start < value.length; index++) {
    let end = value.indexOf(newline, start);
    if (end === -1) end = value.length;
    if (!isBlank(value, start, end)) lines.push({ index, bytes: value.subarray(start, end) });
    start = end + 1;
  }
  return lines;
}
