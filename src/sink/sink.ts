import type { EachBatchPayload } from "kafkajs";
import type { ClickHouse } from "../clickhouse/client";
import type { Config } from "../config";
import type { KafkaCluster } from "../kafka/client";
import type { EventProducer } from "../kafka/producer";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { summary } from "./insert";
import { backoffDelay, SinkStopped } from "./retry";
import { type SinkEntry, toEntries } from "./rows";
import { batchStore } from "./store";

export interface SinkDeps {
  config: Config;
  kafka: KafkaCluster;
  clickhouse: ClickHouse;
  /** Sends dead letters. */
  producer: EventProducer;
  metrics: Metrics;
  logger: Logger;
}

export interface Sink {
  /** Joins the consumer group; keeps trying in the background while Kafka is not there. */
  start(): Promise<void>;
  /** Stores and commits what it holds (within half the shutdown time), then leaves the group. */
  stop(): Promise<void>;
}

/**
 * Moves events from the events topic into ClickHouse in batches (by size or by age). Offsets are
 * committed only after the rows are stored and the dead letters acknowledged, so a crash or an
 * outage replays messages instead of losing them; the table collapses the replayed rows.
 */
export function createSink(deps: SinkDeps): Sink {
  const { config, metrics, logger } = deps;
  const { topic } = config.kafka;
  const settings = config.sink;
  const consumer = deps.kafka.kafka.consumer({
    groupId: settings.groupId,
    allowAutoTopicCreation: false,
    // A member that died without leaving holds its partitions until its session ends: this is
    // how long a restarted sink waits after a hard kill. Heartbeats go from the fetch loop,
    // which keeps running while inserts wait on ClickHouse, so a slow insert does not end it.
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(settings.sessionTimeoutMs / 3)),
    // A short wait lets a resumed consumer fetch again at once; small fetches bound what the
    // process holds (kafkajs' defaults allow 10 MB per fetch, decoded into many more).
    maxWaitTimeInMs: Math.min(settings.batchMaxWaitMs, 100),
    maxBytesPerPartition: 256 * 1024,
    maxBytes: 1024 * 1024,
  });
  // While ClickHouse is down the sink stops fetching once it holds two batches.
  const holdLimit = settings.batchSize * 2;

  let buffer: SinkEntry[] = [];
  let flushing = 0;
  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let paused = false;
  let stopping = false;
  let abandoned = false;
  let stopped: Promise<void> | undefined;
  const committed = new Map<number, bigint>();
  const highWatermarks = new Map<number, bigint>();
  const storeBatch = batchStore({
    ...deps,
    deadLetterTopic: settings.deadLetterTopic,
    retryMaxMs: settings.retryMaxMs,
    abandoned: () => abandoned,
  });

  const updateLag = () => {
    let lag = 0n;
    for (const [partition, high] of highWatermarks) {
      const next = committed.get(partition) ?? high;
      if (high > next) lag += high - next;
    }
    metrics.sinkLag.set(Number(lag));
  };

  const setPaused = (pause: boolean) => {
    paused = pause;
    try {
      if (pause) consumer.pause([{ topic }]);
      else consumer.resume([{ topic }]);
    } catch (error) {
      // Between a crash and the restart there is no group to pause; the restart fetches anew.
      logger.debug("sink pause skipped", { pause, error: summary(error) });
    }
  };

  const commit = async (entries: SinkEntry[]) => {
    const last = new Map<number, bigint>();
    for (const entry of entries) {
      const offset = BigInt(entry.message.offset);
      if (offset >= (last.get(entry.partition) ?? -1n)) last.set(entry.partition, offset);
    }
    const offsets = [...last].map(([partition, offset]) => ({
      topic,
      partition,
      offset: (offset + 1n).toString(),
    }));
    try {
      await consumer.commitOffsets(offsets);
      for (const { partition, offset } of offsets) committed.set(partition, BigInt(offset));
      updateLag();
    } catch (error) {
      // The rows are stored; a later commit covers them, or a replay collapses in the table.
      logger.warn("sink offset commit failed", { error: summary(error) });
    }
  };

  const store = async (entries: SinkEntry[]) => {
    const started = Date.now();
    const rows = await storeBatch(entries);
    await commit(entries);
    logger.debug("sink batch stored", { rows, ms: Date.now() - started });
    // A full batch leaves its decoded events and insert body behind as garbage, and while the
    // sink catches up batches come back to back faster than the collector returns memory. One
    // full collection after each batch of some size keeps the process near its working set (it
    // cost about 17 ms of CPU per 20,000 rows); small batches under light traffic never pay it.
    if (entries.length * 2 >= settings.batchSize) Bun.gc(true);
  };

  const flushBuffer = async () => {
    queued = false;
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const entries = buffer;
    buffer = [];
    flushing += entries.length;
    try {
      await store(entries);
    } finally {
      flushing -= entries.length;
      if (paused && buffer.length + flushing < holdLimit) setPaused(false);
    }
  };

  /** Flushes run one after another, so offsets are committed in order. */
  const flush = () => {
    if (queued) return chain;
    queued = true;
    const run = chain.then(flushBuffer);
    chain = run.catch(() => {});
    return run;
  };
  const flushQuietly = () => {
    flush().catch((error) => {
      if (!(error instanceof SinkStopped)) logger.error("sink flush failed", { error });
    });
  };

  const eachBatch = async ({ batch }: EachBatchPayload) => {
    // Not buffered, hence never committed: a later start reads these again.
    if (stopping) return;
    const { partition } = batch;
    highWatermarks.set(partition, BigInt(batch.highWatermark));
    const first = batch.messages[0];
    if (first && !committed.has(partition)) committed.set(partition, BigInt(first.offset));
    for (const message of batch.messages) {
      for (const entry of toEntries(batch.topic, partition, message)) buffer.push(entry);
    }
    updateLag();

    if (buffer.length >= settings.batchSize) flushQuietly();
    else if (buffer.length > 0) timer ??= setTimeout(flushQuietly, settings.batchMaxWaitMs);
    if (!paused && buffer.length + flushing >= holdLimit) setPaused(true);
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[topic] ?? []);
    for (const partition of [...highWatermarks.keys()]) {
      if (!assigned.has(partition)) highWatermarks.delete(partition);
    }
    committed.clear();
    updateLag();
    logger.info("sink joined group", { groupId: settings.groupId, partitions: [...assigned] });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.warn("sink consumer crashed", {
      error: summary(payload.error),
      restart: payload.restart,
    });
    if (!payload.restart && !stopping) void consumer.disconnect().then(() => start());
  });

  const start = async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatch });
        if (stopping) return await consumer.disconnect();
        logger.info("sink started", {
          topic,
          groupId: settings.groupId,
          batchSize: settings.batchSize,
          batchMaxWaitMs: settings.batchMaxWaitMs,
        });
        return;
      } catch (error) {
        const retryInMs = backoffDelay(attempt, settings.retryMaxMs);
        logger.warn("sink cannot start", { attempt, retryInMs, error: summary(error) });
        await consumer.disconnect().catch(() => {});
        await Bun.sleep(retryInMs);
      }
    }
  };

  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      const deadline = setTimeout(() => {
        abandoned = true;
      }, config.shutdownTimeoutMs / 2);
      await flush().catch(() => {});
      clearTimeout(deadline);
      abandoned = true;
      await consumer.disconnect().catch(() => {});
      logger.info("sink stopped", { uncommitted: buffer.length + flushing });
    })();
    return stopped;
  };

  return { start, stop };
}
