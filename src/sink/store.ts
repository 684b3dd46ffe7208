import type { ClickHouse } from "../clickhouse/client";
import type { EventProducer } from "../kafka/producer";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { deadLetter } from "./dead-letters";
import { eventsInsert, insertOrIsolate, summary } from "./insert";
import { retryUntilDone } from "./retry";
import type { SinkEntry } from "./rows";

export interface StoreDeps {
  clickhouse: ClickHouse;
  /** Sends dead letters. */
  producer: EventProducer;
  metrics: Metrics;
  logger: Logger;
  deadLetterTopic: string;
  retryMaxMs: number;
  /** True once the sink stops waiting for a backend to come back. */
  abandoned(): boolean;
}

const insertTimeoutMs = 30_000;

/**
 * Stores one batch: its rows into ClickHouse, what can never be a row into the dead-letter topic.
 * Resolves only when both are done, retrying with backoff for as long as it takes (or until the
 * sink gives up while stopping), so the caller may then commit the batch's offsets.
 */
export function batchStore(deps: StoreDeps) {
  const { metrics, logger } = deps;
  const insert = eventsInsert(deps.clickhouse, insertTimeoutMs);

  const retry = async <T>(work: () => Promise<T>, step: string) => {
    const started = Date.now();
    let failures = 0;
    const result = await retryUntilDone(work, {
      maxDelayMs: deps.retryMaxMs,
      abandoned: deps.abandoned,
      onFailure: (error, attempt, retryInMs) => {
        failures = attempt;
        if (step === "insert") metrics.sinkBatches.inc({ outcome: "failed" });
        logger.warn("sink paused", { step, attempt, retryInMs, error: summary(error) });
      },
    });
    if (failures > 0) {
      logger.info("sink resumed", { step, failures, pausedMs: Date.now() - started });
    }
    return result;
  };

  const sendDeadLetters = async (letters: { item: SinkEntry; reason: string }[]) => {
    const messages = letters.map(({ item, reason }) =>
      deadLetter(deps.deadLetterTopic, item, reason),
    );
    await retry(() => deps.producer.send(messages), "dead letters");
    metrics.sinkDeadLetters.inc(letters.length);
    const [first] = letters;
    logger.warn("sink sent dead letters", {
      topic: deps.deadLetterTopic,
      count: letters.length,
      firstReason: first?.reason,
      firstOffset: first?.item.message.offset,
    });
  };

  return async (entries: SinkEntry[]) => {
    const refused = await retry(() => insertOrIsolate(entries, insert), "insert");
    const rows = entries.filter((entry) => entry.row).length - refused.length;
    metrics.sinkBatches.inc({ outcome: "inserted" });
    metrics.sinkRows.inc(rows);

    const undecodable = entries.flatMap((entry) =>
      entry.reason ? [{ item: entry, reason: entry.reason }] : [],
    );
    const letters = [...undecodable, ...refused];
    if (letters.length > 0) await sendDeadLetters(letters);
    return rows;
  };
}
