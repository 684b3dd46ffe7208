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

interface Line {
  text: string;
  bytes: number;
}

const headers = { [eventLines.header]: eventLines.type };
// What a line may take of a message once the headers and record framing are counted.
const room = maxMessageBytes - messageBytes({ topic: "", value: null, headers });

/** The encoded line for one batch item, or why there is none. */
function toLine(item: BatchItem, receivedAt: number): Line | string {
  if (item.error !== undefined) return item.error;
  const checked = checkEvent(item.value, receivedAt);
  if (checked.error !== undefined) return checked.error;
  let text: string;
  try {
    text = encodeEvent(checked.event, (item.value as { timestamp?: unknown }).timestamp);
  } catch {
    // JSON.parse takes nesting that JSON.stringify then cannot walk back out of.
    return "data is nested too deeply";
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > room) return `event is larger than ${room} bytes`;
  return { text, bytes };
}

/** Lines in their order, up to `perMessage` and the message size limit in each message. */
function pack(lines: Line[], topic: string, perMessage: number): OutgoingMessage[] {
  const messages: OutgoingMessage[] = [];
  let group: string[] = [];
  let size = 0;
  // Each value becomes bytes here, in memory of its own, which the producer may then hand to its
  // thread without a copy.
  const close = () => {
    if (group.length > 0) messages.push({ topic, value: Buffer.from(group.join("\n")), headers });
    group = [];
    size = 0;
  };
  for (const line of lines) {
    if (group.length === perMessage || size + line.bytes + 1 > room) close();
    group.push(line.text);
    size += line.bytes + 1;
  }
  close();
  return messages;
}

/**
 * Validates a batch and sends its valid events to the events topic, `perMessage` to a Kafka
 * message. Resolves once Kafka acknowledged them all; invalid events are reported by position and
 * never sent.
 */
export function eventIngest(deps: { producer: EventProducer; topic: string; perMessage: number }) {
  const { producer, topic, perMessage } = deps;

  return async (items: BatchItem[], receivedAt = Date.now()): Promise<IngestResult> => {
    const lines: Line[] = [];
    const errors: Rejection[] = [];
    items.forEach((item, index) => {
      const outcome = toLine(item, receivedAt);
      if (typeof outcome !== "string") lines.push(outcome);
      else if (item.line === undefined) errors.push({ index, error: outcome });
      else errors.push({ index, line: item.line, error: outcome });
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
    await producer.send(pack(lines, topic, perMessage), { handOver: true });
    return { topic, accepted: lines.length, rejected: errors.length, errors };
  };
}
