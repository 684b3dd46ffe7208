import { ApiError } from "../errors";
import {
  type EventProducer,
  maxMessageBytes,
  messageBytes,
  type OutgoingMessage,
} from "../kafka/producer";
import { checkEvent, encodeEvent } from "./event";
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

/** The message for one batch item, or why there is none. */
function toMessage(item: BatchItem, topic: string, receivedAt: number): OutgoingMessage | string {
  if (item.error !== undefined) return item.error;
  const checked = checkEvent(item.value, receivedAt);
  if (checked.error !== undefined) return checked.error;
  let value: string;
  try {
    value = encodeEvent(checked.event);
  } catch {
    // JSON.parse takes nesting that JSON.stringify then cannot walk back out of.
    return "data is nested too deeply";
  }
  const message = { topic, value };
  if (messageBytes(message) > maxMessageBytes) {
    return `event is larger than ${maxMessageBytes} bytes`;
  }
  return message;
}

/**
 * Validates a batch and sends its valid events to the events topic. Resolves once Kafka
 * acknowledged them all; invalid events are reported by position and never sent.
 */
export function eventIngest(deps: { producer: EventProducer; topic: string }) {
  const { producer, topic } = deps;

  return async (items: BatchItem[], receivedAt = Date.now()): Promise<IngestResult> => {
    const messages: OutgoingMessage[] = [];
    const errors: Rejection[] = [];
    items.forEach((item, index) => {
      const outcome = toMessage(item, topic, receivedAt);
      if (typeof outcome !== "string") messages.push(outcome);
      else if (item.line === undefined) errors.push({ index, error: outcome });
      else errors.push({ index, line: item.line, error: outcome });
    });

    if (messages.length === 0) {
      const first = errors[0];
      const where = first?.line === undefined ? `event ${first?.index}` : `line ${first.line}`;
      throw new ApiError(
        "validation_failed",
        `No valid event in the batch; ${where}: ${first?.error}`,
        {
          details: errors,
        },
      );
    }
    await producer.send(messages);
    return { topic, accepted: messages.length, rejected: errors.length, errors };
  };
}
