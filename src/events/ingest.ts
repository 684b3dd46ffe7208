import { ApiError } from "../errors";
import {
  type EventProducer,
  maxMessageBytes,
  messageBytes,
  type OutgoingMessage,
} from "../kafka/producer";
import { checkEvent, encodeEvent } from "./event";
import { eventLines } from "./message";
import type { BatchItem } from "./parse";

export interface Rejection {
  /** 0-based position of the event in the batch. */
  index: number;
  line?: number;
  error: string;
}

export interface IngestResult {
  topic: string;
  accepted: number;
  rejected: number;
  errors: Rejection[];
}

const headers = { [eventLines.header]: eventLines.type };
// What a line may take of a message once the headers and record framing are counted.
const room = maxMessageBytes - messageBytes({ topic: "", value: null, headers });
const newline = 0x0a;
const utf8 = new TextEncoder();

/** The encoded line for one batch item, or why there is none. */
function toLine(item: BatchItem, receivedAt: number): string | { error: string } {
  if (item.error !== undefined) return { error: item.error };
  const checked = checkEvent(item.value, receivedAt);
  if (checked.error !== undefined) return { error: checked.error };
  let text: string;
  try {
    text = encodeEvent(checked.event, (item.value as { timestamp?: unknown }).timestamp);
  } catch {
    // JSON.parse takes nesting that JSON.stringify then cannot walk back out of.
    return { error: "data is nested too deeply" };
  }
  // UTF-8 takes at most three bytes per UTF-16 unit, so most lines need no counting.
  if (text.length * 3 > room && Buffer.byteLength(text) > room) {
    return { error: `event is larger than ${room} bytes` };
  }
  return text;
}

/**
 * The lines in their order, up to `perMessage` and the message size limit in each message. All
 * lines are encoded at once into memory of their own, and each message is a view into it, so the
 * producer can move that memory to its thread in one piece. JSON text has no raw newline, so the
 * newline bytes are exactly the line ends.
 */
function pack(lines: string[], topic: string, perMessage: number) {
  const bytes = utf8.encode(lines.join("\n"));
  const memory = bytes.buffer;
  const messages: OutgoingMessage[] = [];
  const cut = (from: number, to: number) =>
    messages.push({ topic, value: Buffer.from(memory, from, to - from), headers });
  let first = 0;
  let count = 0;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(newline, start);
    if (end === -1) end = bytes.length;
    if (count === perMessage || end - first > room) {
      cut(first, start - 1);
      first = start;
      count = 0;
    }
    count++;
    start = end + 1;
  }
  cut(first, bytes.length);
  return { messages, memory };
}

/**
 * Validates a batch and sends its valid events to the events topic, `perMessage` to a Kafka
 * message. Resolves once Kafka acknowledged them all; invalid events are reported by position and
 * never sent.
 */
export function eventIngest(deps: { producer: EventProducer; topic: string; perMessage: number }) {
  const { producer, topic, perMessage } = deps;

  return async (items: BatchItem[], receivedAt = Date.now()): Promise<IngestResult> => {
    const lines: string[] = [];
    const errors: Rejection[] = [];
    items.forEach((item, index) => {
      const outcome = toLine(item, receivedAt);
      if (typeof outcome === "string") lines.push(outcome);
      else if (item.line === undefined) errors.push({ index, error: outcome.error });
      else errors.push({ index, line: item.line, error: outcome.error });
    });

    if (lines.length === 0) {
      const first = errors[0];
      const where = first?.line === undefined ? `event ${first?.index}` : `line ${first.line}`;
      throw new ApiError(
        "validation_failed",
        `No valid event in the batch; ${where}: ${first?.error}`,
        { details: errors },
      );
    }
    const { messages, memory } = pack(lines, topic, perMessage);
    await producer.send(messages, { handOver: [memory] });
    return { topic, accepted: lines.length, rejected: errors.length, errors };
  };
}
