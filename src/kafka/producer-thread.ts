import type { Config } from "../config";
import { ApiError, type ErrorCode } from "../errors";
import type { LogFields, Logger, LogLevel } from "../logger";
import type { Metrics } from "../metrics";
import type { Delivery, EventProducer, OutgoingMessage } from "./producer";

/*
 * The producer on a thread of its own. kafkajs encodes every record batch in JavaScript (copies,
 * buffer growth, a CRC over every byte), about as much work per event as the API's own parsing
 * and checking; on its own thread that work runs beside the request handling instead of after it.
 * The thread runs the same `createProducer`; this side keeps the EventProducer contract.
 */

/** What the request thread asks of the producer thread. */
export type ToProducer =
  | { type: "start"; config: Config["kafka"]; logLevel: LogLevel }
  | { type: "send"; id: number; messages: OutgoingMessage[] }
  | { type: "stop" };

/** A failed send as it crosses the threads: enough to rebuild the same API error. */
export interface SendFailure {
  code?: ErrorCode;
  message: string;
  headers?: Record<string, string>;
  cause?: string;
}

/** What the producer thread reports back. */
export type FromProducer =
  | { type: "sent"; id: number; deliveries: Delivery[] }
  | { type: "failed"; id: number; failure: SendFailure }
  | { type: "metric"; name: "batch" | "produced" | "failed"; topic?: string; value: number }
  | { type: "log"; level: LogLevel; msg: string; fields?: LogFields }
  | { type: "stopped" };

function rebuild(failure: SendFailure): ApiError {
  const cause = failure.cause === undefined ? undefined : new Error(failure.cause);
  return new ApiError(failure.code ?? "backend_unavailable", failure.message, {
    headers: failure.headers,
    cause,
  });
}

// The executable embeds the worker as its own entry point, under its folder in the source tree;
// from source it sits beside this file.
const workerUrl = import.meta.url.includes("$bunfs")
  ? "./kafka/producer-worker.ts"
  : new URL("./producer-worker.ts", import.meta.url).href;

/**
 * An EventProducer whose kafkajs producer runs on its own thread. If the thread dies, the sends
 * it held fail with a 503 and the next send starts a new one.
 */
export function producerOnThread(config: Config, metrics: Metrics, logger: Logger): EventProducer {
  const pending = new Map<number, { resolve(d: Delivery[]): void; reject(e: Error): void }>();
  let worker: Worker | undefined;
  let nextId = 0;
  let stopped = false;
  let onStopped: (() => void) | undefined;

  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };

  const handle = (message: FromProducer) => {
    switch (message.type) {
      case "sent":
        pending.get(message.id)?.resolve(message.deliveries);
        pending.delete(message.id);
        break;
      case "failed":
        pending.get(message.id)?.reject(rebuild(message.failure));
        pending.delete(message.id);
        break;
      case "metric":
        if (message.name === "batch") metrics.kafkaBatchMessages.observe(message.value);
        else if (message.name === "produced") {
          metrics.kafkaProduced.inc({ topic: message.topic ?? "" }, message.value);
        } else metrics.kafkaProduceFailures.inc({ topic: message.topic ?? "" }, message.value);
        break;
      case "log":
        logger[message.level](message.msg, message.fields);
        break;
      case "stopped":
        onStopped?.();
        break;
    }
  };

  const thread = () => {
    if (worker) return worker;
    const started = new Worker(workerUrl);
    started.onmessage = (event: MessageEvent<FromProducer>) => handle(event.data);
    started.onerror = (event) => {
      logger.error("producer thread failed", { error: event.message });
      if (worker === started) worker = undefined;
      started.terminate();
      failAll(new ApiError("backend_unavailable", "The Kafka producer failed; retry"));
    };
    const start: ToProducer = { type: "start", config: config.kafka, logLevel: config.logLevel };
    started.postMessage(start);
    // An idle producer thread must not keep a process alive that is otherwise done.
    started.unref();
    worker = started;
    return started;
  };

  return {
    send(messages, options) {
      if (stopped)
        return Promise.reject(new ApiError("backend_unavailable", "The service is shutting down"));
      if (messages.length === 0) return Promise.resolve([]);
      const id = ++nextId;
      return new Promise<Delivery[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: ToProducer = { type: "send", id, messages };
        thread().postMessage(request, options?.handOver ?? []);
      });
    },

    async stop() {
      stopped = true;
      const running = worker;
      if (!running) return;
      // The thread answers every send within the produce timeout, then flushes and disconnects.
      const done = new Promise<void>((resolve) => {
        onStopped = resolve;
      });
      const stop: ToProducer = { type: "stop" };
      running.postMessage(stop);
      const deadline = config.kafka.produceTimeoutMs * 2;
      await Promise.race([done, Bun.sleep(deadline)]);
      running.terminate();
      worker = undefined;
      failAll(new ApiError("backend_unavailable", "The service is shutting down"));
    },
  };
}
