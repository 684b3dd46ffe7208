import { isInternalTopic } from "../config";
import { ApiError } from "../errors";
import type { Delivery, EventProducer, OutgoingMessage } from "../kafka/producer";

export interface ProduceItem {
  message: unknown;
  key?: string;
  headers?: Record<string, string>;
}

export interface ProduceRequest {
  topic?: string;
  items: ProduceItem[];
}

/** Strings go to Kafka as they are; any other JSON value as its JSON text. */
function messageValue(message: unknown, index: number): string {
  if (typeof message === "string") return message;
  try {
    return JSON.stringify(message);
  } catch {
    // JSON.parse takes nesting that JSON.stringify then cannot walk back out of.
    throw new ApiError("validation_failed", `message ${index} is nested too deeply`);
  }
}

/**
 * Sends raw messages to an allowed topic and reports where each one landed. Internal topics stay
 * closed even if someone lists them.
 */
export function produceService(deps: {
  producer: EventProducer;
  defaultTopic: string;
  allowedTopics: string[];
  maxBatch: number;
}) {
  const allowed = new Set(deps.allowedTopics);

  return async (request: ProduceRequest): Promise<Delivery[]> => {
    const topic = request.topic ?? deps.defaultTopic;
    if (isInternalTopic(topic) || !allowed.has(topic)) {
      throw new ApiError("forbidden", `Topic "${topic}" is not in the allow-list`);
    }
    if (request.items.length > deps.maxBatch) {
      throw new ApiError("payload_too_large", `At most ${deps.maxBatch} messages per request`);
    }
    const messages: OutgoingMessage[] = request.items.map((item, index) => ({
      topic,
      value: messageValue(item.message, index),
      key: item.key ?? null,
      headers: item.headers,
    }));
    return deps.producer.send(messages);
  };
}
