import type { IHeaders } from "kafkajs";
import { maxMessageBytes, messageBytes, type OutgoingMessage } from "../kafka/producer";
import type { SinkEntry } from "./rows";

/** Headers a dead letter carries besides the original ones. */
export const deadLetterHeaders = {
  reason: "x-dead-letter-reason",
  topic: "x-dead-letter-topic",
  partition: "x-dead-letter-partition",
  offset: "x-dead-letter-offset",
  truncated: "x-dead-letter-truncated",
} as const;

// A header that repeats keeps its last value: the outgoing message holds one value per name.
function flatten(headers: IHeaders | undefined): Record<string, string | Buffer> {
  const flat: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) flat[name] = last;
  }
  return flat;
}

/**
 * The message as it was read, with where it came from and why it was refused. Key and value are
 * kept byte for byte; only a value too large to carry the extra headers is cut, and says so.
 */
export function deadLetter(dlqTopic: string, entry: SinkEntry, reason: string): OutgoingMessage {
  const { message } = entry;
  const letter: OutgoingMessage = {
    topic: dlqTopic,
    key: message.key,
    value: message.value,
    headers: {
      ...flatten(message.headers),
      [deadLetterHeaders.reason]: reason,
      [deadLetterHeaders.topic]: entry.topic,
      [deadLetterHeaders.partition]: String(entry.partition),
      [deadLetterHeaders.offset]: message.offset,
    },
  };
  if (messageBytes(letter) > maxMessageBytes && message.value && letter.headers) {
    letter.value = message.value.subarray(0, maxMessageBytes / 2);
    letter.headers[deadLetterHeaders.truncated] = String(message.value.length);
  }
  return letter;
}
