import type { IHeaders } from "kafkajs";
import { maxMessageBytes, messageBytes, type OutgoingMessage } from "../kafka/producer";
import { entryBytes, type SinkEntry } from "./rows";

/** Headers a dead letter carries besides the original ones. */
export const deadLetterHeaders = {
  reason: "x-dead-letter-reason",
  topic: "x-dead-letter-topic",
  partition: "x-dead-letter-partition",
  offset: "x-dead-letter-offset",
  line: "x-dead-letter-line",
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
 * The refused event as it was read, with where it came from and why it was refused: the whole
 * message, or for a message of lines the one line (0-based, in x-dead-letter-line), so the good
 * events beside it are not sent twice. Key and bytes are kept as they were; only a value too
 * large to carry the extra headers is cut, and says so.
 */
export function deadLetter(dlqTopic: string, entry: SinkEntry, reason: string): OutgoingMessage {
  const { message } = entry;
  const value = entryBytes(entry);
  const headers: Record<string, string | Buffer> = {
    ...flatten(message.headers),
    [deadLetterHeaders.reason]: reason,
    [deadLetterHeaders.topic]: entry.topic,
    [deadLetterHeaders.partition]: String(entry.partition),
    [deadLetterHeaders.offset]: message.offset,
  };
  if (entry.line !== undefined) headers[deadLetterHeaders.line] = String(entry.line);
  const letter: OutgoingMessage = { topic: dlqTopic, key: message.key, value, headers };
  if (messageBytes(letter) > maxMessageBytes && value) {
    letter.value = value.subarray(0, maxMessageBytes / 2);
    headers[deadLetterHeaders.truncated] = String(value.length);
  }
  return letter;
}
