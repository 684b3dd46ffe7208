/**
 * The producer thread (see producer-thread.ts): one kafkajs producer, fed by the request thread.
 * Logs and metrics go back to the request thread, which owns stdout and the registry.
 */
import { ApiError } from "../errors";
import { type LogFields, type Logger, type LogLevel, logLevels } from "../logger";
import { routeProcessWarnings } from "../process-warnings";
import { createKafkaCluster } from "./client";
import { createProducer, type EventProducer, type OutgoingMessage } from "./producer";
import type { FromProducer, SendFailure, ToProducer } from "./producer-thread";

declare const self: Worker;

const post = (message: FromProducer) => self.postMessage(message);

// Only plain data crosses threads: errors become their name and message.
function plain(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return undefined;
  const text = JSON.stringify(fields, (_key, value: unknown) =>
    value instanceof Error ? { name: value.name, message: value.message } : value,
  );
  return JSON.parse(text) as LogFields;
}

function threadLogger(level: LogLevel, base: LogFields = {}): Logger {
  const threshold = logLevels.indexOf(level);
  const write = (at: LogLevel) => (msg: string, fields?: LogFields) => {
    if (logLevels.indexOf(at) >= threshold) {
      post({ type: "log", level: at, msg, fields: plain({ ...base, ...fields }) });
    }
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (fields) => threadLogger(level, { ...base, ...fields }),
  };
}

const metrics = {
  kafkaBatchMessages: {
    observe: (value: number) => post({ type: "metric", name: "batch", value }),
  },
  kafkaProduced: {
    inc: ({ topic }: { topic: string }, value: number) =>
      post({ type: "metric", name: "produced", topic, value }),
  },
  kafkaProduceFailures: {
    inc: ({ topic }: { topic: string }, value: number) =>
      post({ type: "metric", name: "failed", topic, value }),
  },
};

// Buffers arrive as plain Uint8Arrays; kafkajs writes anything that is not a Buffer as text.
const revive = <T>(value: T): T | Buffer =>
  value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;

function revived(message: OutgoingMessage): OutgoingMessage {
  const headers = message.headers && { ...message.headers };
  for (const name in headers) headers[name] = revive(headers[name] as string | Buffer);
  return { ...message, key: revive(message.key), value: revive(message.value), headers };
}

function failure(error: unknown): SendFailure {
  if (error instanceof ApiError) {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    return { code: error.code, message: error.message, headers: error.headers, cause };
  }
  return { message: "Kafka did not acknowledge the write", cause: String(error) };
}

let producer: EventProducer | undefined;

routeProcessWarnings((warning) =>
  post({ type: "log", level: "warn", msg: "process warning", fields: { warning } }),
);

self.onmessage = async (event: MessageEvent<ToProducer>) => {
  const request = event.data;
  if (request.type === "start") {
    const logger = threadLogger(request.logLevel);
    const kafka = createKafkaCluster(request.config, logger);
    producer = createProducer(kafka.kafka, request.config, metrics, logger);
  } else if (request.type === "send") {
    const { id } = request;
    try {
      if (!producer) throw new ApiError("backend_unavailable", "The Kafka producer is not ready");
      const deliveries = await producer.send(request.messages.map(revived));
      post({ type: "sent", id, deliveries });
    } catch (error) {
      post({ type: "failed", id, failure: failure(error) });
    }
  } else {
    await producer?.stop();
    post({ type: "stopped" });
  }
};
