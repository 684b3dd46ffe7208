import type { ClickHouse } from "./clickhouse/client";
import type { KafkaCluster } from "./kafka/client";
import type { Logger } from "./logger";

export interface MigrateTarget {
  database: string;
  topics: string[];
  partitions: number;
}

/**
 * The events table. It avoids everything newer than ClickHouse 18.16 (no DateTime64, no
 * LowCardinality, no TTL) so one schema serves old and current servers. ReplacingMergeTree keyed
 * on the Kafka partition and offset collapses the rows a sink replays after a crash; queries that
 * must not count them twice read with FINAL.
 */
export function eventsTableSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${database}\`.events (
  event String,
  timestamp DateTime,
  timestamp_ms UInt64,
  data String,
  received_at DateTime,
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(timestamp)
ORDER BY (event, timestamp, kafka_partition, kafka_offset)`;
}

/** Creates the database, the tables and the topics; running it again changes nothing. */
export async function migrate(
  target: MigrateTarget,
  backends: { clickhouse: ClickHouse; kafka: KafkaCluster },
  logger: Logger,
) {
  await backends.clickhouse.command(`CREATE DATABASE IF NOT EXISTS \`${target.database}\``, {
    database: "",
  });
  await backends.clickhouse.command(eventsTableSql(target.database), { database: "" });
  logger.info("clickhouse schema ready", { database: target.database });

  await backends.kafka.ensureTopics(
    target.topics.map((topic) => ({ topic, partitions: target.partitions })),
  );
  logger.info("kafka topics ready", { topics: target.topics });
}
