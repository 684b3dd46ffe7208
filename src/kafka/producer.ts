import { type Kafka, type Message, Partitioners, type RecordMetadata } from "kafkajs";
import type { Config } from "../config";
import { ApiError } from "../errors";
import type { Logger } from "../logger";
import { timeout } from "./client";

export interface OutgoingMessage {
  topic: string;
  value: string | Buffer | null;
  key?: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
}

export interface Delivery {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; kept as a decimal string like kafkajs does. */
  offset: string;
}

/** What a producer reports; the process's prom-client metrics have these shapes. */
export interface ProducerMetrics {
  kafkaBatchMessages: { observe(value: number): void };
  kafkaProduced: { inc(labels: { topic: string }, value: number): void };
  kafkaProduceFailures: { inc(labels: { topic: string }, value: number): void };
}

export interface SendOptions {
  /**
   * Memory the caller gives up with this send: every buffer of the messages that lies in it may
   * be moved to a producer on another thread instead of copied. The caller must not touch it, or
   * any view of it, again.
   */
  handOver?: ArrayBuffer[];
}

export interface EventProducer {
  /** Resolves once Kafka acknowledged every message (all in-sync replicas), in input order. */
  send(messages: OutgoingMessage[], options?: SendOptions): Promise<Delivery[]>;
  /** Refuses new sends, waits for the queued ones, then disconnects. */
  stop(): Promise<void>;
}

/**
 * Brokers refuse a record batch above message.max.bytes (1 MiB by default) and kafkajs does not
 * split batches, so one request to Kafka carries at most this many bytes, and one message too.
 */
export const maxMessageBytes = 1_000_000;
// Per-record framing (lengths, offsets, attributes) that the byte estimate adds to each message.
const recordOverhead = 64;
// kafkajs groups a batch by partition in quadratic time; past this many messages, a second
// request costs less than a bigger one.
const maxBatchMessages = 1000;
// A queue this full is a good batch already (the size of Kafka's own batch.size default), so it
// goes out at once; the linger window only gathers smaller sends.
const readyBytes = 16 * 1024;
// A broker works through one connection's requests one at a time. Past two batches in flight per
// topic (one being answered, one on its way), sends wait and gather into bigger batches, so each
// request to Kafka carries more instead of queueing behind the others.
const maxInFlight = 2;

/** One caller's messages: settled when every one of them is acknowledged, or on first failure. */
interface Request {
  deliveries: Delivery[];
  remaining: number;
  resolve(deliveries: Delivery[]): void;
  reject(error: Error): void;
  /** Set once the caller has had its failure: what is not yet on its way to Kafka stays here. */
  abandoned?: boolean;
}

interface Entry {
  message: Message;
  bytes: number;
  request: Request;
  index: number;
}

interface Batch {
  entries: Entry[];
  bytes: number;
}

/** A topic's open batch, the closed ones waiting for a free slot, and the batches in flight. */
interface TopicQueue {
  entries: Entry[];
  bytes: number;
  closed: Batch[];
  inFlight: number;
  timer?: ReturnType<typeof setTimeout>;
}

const byteLength = (value: string | Buffer | null | undefined) =>
  value == null ? 0 : typeof value === "string" ? Buffer.byteLength(value) : value.length;

export function messageBytes(message: OutgoingMessage): number {
  let bytes = byteLength(message.value) + byteLength(message.key) + recordOverhead;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += name.length + byteLength(value);
  }
  return bytes;
}

const unavailable = (message: string, cause?: unknown) =>
  new ApiError("backend_unavailable", message, { cause });

/**
 * One producer for the process. Sends that arrive within the linger window are gathered per topic
 * into one `sendBatch`, so many small concurrent requests share a round trip to Kafka.
 */
export function createProducer(
  kafka: Kafka,
  config: Config["kafka"],
  metrics: ProducerMetrics,
  logger: Logger,
): EventProducer {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: () => {
      const choose = Partitioners.DefaultPartitioner();
      // The choice is written on the message: the reply reports it, and a retried batch keeps
      // it (the default partitioner honours a message's own partition).
      return (args) => {
        args.message.partition = choose(args);
        return args.message.partition;
      };
    },
  });
  const queues = new Map<string, TopicQueue>();
  const inFlight = new Set<Promise<void>>();
  let queuedBytes = 0;
  let stopped = false;
  let failing = false;
  let connecting: Promise<void> | undefined;

  const connected = () => {
    connecting ??= producer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  // Offsets stay exact as Numbers up to 2^53, far beyond what a partition reaches in practice.
  const settle = (topic: string, entries: Entry[], records: RecordMetadata[]) => {
    const next = new Map<number, number>();
    for (const record of records) next.set(record.partition, Number(record.baseOffset ?? 0));
    for (const entry of entries) {
      const partition = entry.message.partition ?? 0;
      const offset = next.get(partition) ?? 0;
      next.set(partition, offset + 1);
      const { request } = entry;
      request.deliveries[entry.index] = { topic, partition, offset: String(offset) };
      if (--request.remaining === 0) request.resolve(request.deliveries);
    }
  };

  const sendBatch = async (topic: string, batch: Batch) => {
    try {
      await connected();
      // A caller that was already answered with a failure is not written behind its back.
      const entries = batch.entries.filter((entry) => !entry.request.abandoned);
      if (entries.length === 0) return;
      metrics.kafkaBatchMessages.observe(entries.length);
      const records = await producer.sendBatch({
        acks: -1,
        timeout: config.produceTimeoutMs,
        topicMessages: [{ topic, messages: entries.map((entry) => entry.message) }],
      });
      settle(topic, entries, records);
      metrics.kafkaProduced.inc({ topic }, entries.length);
      if (failing) logger.info("kafka produce recovered", { topic });
      failing = false;
    } catch (error) {
      const { entries } = batch;
      metrics.kafkaProduceFailures.inc({ topic }, entries.length);
      // One line when Kafka goes away, not one per batch; the failure metric counts every one.
      if (!failing) logger.warn("kafka produce failed", { topic, messages: entries.length, error });
      failing = true;
      const failure = unavailable("Kafka did not acknowledge the write", error);
      for (const entry of entries) entry.request.reject(failure);
    } finally {
      queuedBytes -= batch.bytes;
    }
  };

  /** Sends closed batches while the topic has a free slot; a finished send sends the next. */
  const pump = (topic: string, queue: TopicQueue) => {
    while (queue.inFlight < maxInFlight) {
      const batch = queue.closed.shift();
      if (!batch) return;
      queue.inFlight++;
      const sending = sendBatch(topic, batch).finally(() => {
        inFlight.delete(sending);
        queue.inFlight--;
        // What gathered meanwhile has waited long enough.
        if (queue.closed.length === 0) close(queue);
        pump(topic, queue);
      });
      inFlight.add(sending);
    }
  };

  const close = (queue: TopicQueue) => {
    clearTimeout(queue.timer);
    queue.timer = undefined;
    if (queue.entries.length === 0) return;
    queue.closed.push({ entries: queue.entries, bytes: queue.bytes });
    queue.entries = [];
    queue.bytes = 0;
  };

  /** Sends what gathered, if a slot is free; if not, it goes on gathering until one is. */
  const flush = (topic: string, queue: TopicQueue) => {
    clearTimeout(queue.timer);
    queue.timer = undefined;
    if (queue.inFlight < maxInFlight) close(queue);
    pump(topic, queue);
  };

  const queueFor = (topic: string) => {
    const existing = queues.get(topic);
    if (existing) return existing;
    const created: TopicQueue = { entries: [], bytes: 0, closed: [], inFlight: 0 };
    queues.set(topic, created);
    return created;
  };

  const enqueue = (message: OutgoingMessage, bytes: number, request: Request, index: number) => {
    const { topic } = message;
    const queue = queueFor(topic);
    if (queue.bytes + bytes > maxMessageBytes || queue.entries.length === maxBatchMessages) {
      close(queue);
      pump(topic, queue);
    }
    const kafkaMessage = { key: message.key, value: message.value, headers: message.headers };
    queue.entries.push({ message: kafkaMessage, bytes, request, index });
    queue.bytes += bytes;
    queue.timer ??= setTimeout(() => flush(topic, queue), config.lingerMs);
  };

  return {
    async send(messages) {
      if (stopped) throw unavailable("The service is shutting down");
      if (messages.length === 0) return [];
      const sizes = messages.map(messageBytes);
      if (sizes.some((size) => size > maxMessageBytes)) {
        throw new ApiError(
          "payload_too_large",
          `A message may hold at most ${maxMessageBytes} bytes`,
        );
      }
      const total = sizes.reduce((sum, size) => sum + size, 0);
      if (queuedBytes + total > config.maxQueueBytes) {
        throw new ApiError("queue_full", "Too many messages are waiting for Kafka; retry later", {
          headers: { "Retry-After": "1" },
        });
      }

      queuedBytes += total;
      let request: Request | undefined;
      const acknowledged = new Promise<Delivery[]>((resolve, reject) => {
        request = { deliveries: [], remaining: messages.length, resolve, reject };
        const caller = request;
        messages.forEach((message, index) => {
          enqueue(message, sizes[index] ?? 0, caller, index);
        });
        for (const topic of new Set(messages.map((message) => message.topic))) {
          const queue = queueFor(topic);
          if (queue.bytes >= readyBytes) flush(topic, queue);
        }
      });
      try {
        return await timeout(acknowledged, config.produceTimeoutMs, "kafka acknowledgement");
      } catch (error) {
        // The caller hears of a failure: its messages still waiting here are not sent after it.
        // Only those already in a request to Kafka may still be written.
        if (request) request.abandoned = true;
        if (error instanceof ApiError) throw error;
        throw unavailable(`Kafka did not acknowledge within ${config.produceTimeoutMs} ms`, error);
      }
    },

    async stop() {
      stopped = true;
      for (const [topic, queue] of queues) {
        close(queue);
        pump(topic, queue);
      }
      // Each finished send starts a waiting one, so wait until none is left.
      const drained = (async () => {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      })();
      // Past the produce timeout every caller has had its answer; waiting longer helps no one.
      await timeout(drained, config.produceTimeoutMs, "producer flush").catch(() => {});
      if (connecting) await producer.disconnect().catch(() => {});
    },
  };
}
