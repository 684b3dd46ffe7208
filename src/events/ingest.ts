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

/** The line for one batch item, as bytes, or why there is none. */
function toLine(item: BatchItem, receivedAt: number): Uint8Array | { error: string } {
  if (item.error !== undefined) return { error: item.error };
  if (item.stored) return item.stored.length > room ? tooLarge() : item.stored;
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
  if (text.length * 3 > room && Buffer.byteLength(text) > room) return tooLarge();
  return utf8.encode(text);
}

const tooLarge = () => ({ error: `event is larger than ${room} bytes` });

/**
 * The lines in their order, up to `perMessage` and the message size limit in each message, one
 * per line. All are copied into memory of their own, and each message is a view into it, so the
 * producer can move that memory to its thread in one piece.
 */
function pack(lines: Uint8Array[], topic: string, perMessage: number) {
  let total = 0;
  for (const line of lines) total += line.length + 1;
  const bytes = new Uint8Array(total - 1);
  const memory = bytes.buffer;
  const messages: OutgoingMessage[] = [];
  let first = 0;
  let count = 0;
  let at = 0;
  for (const line of lines) {
    if (count === perMessage || at + line.length - first > room) {
      messages.push({ topic, value: Buffer.from(memory, first, at - 1 - first), headers });
      first = at;
      count = 0;
    }
    bytes.set(line, at);
    at += line.length;
    if (at < bytes.length) bytes[at++] = newline;
    count++;
  }
  messages.push({ topic, value: Buffer.from(memory, first, bytes.length - first), headers });
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
    const lines: Uint8Array[] = [];
    const errors: Rejection[] = [];
    items.forEach((item, index) => {
      const outcome = toLine(item, receivedAt);
      if (outcome instanceof Uint8Array) lines.push(outcome);
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
