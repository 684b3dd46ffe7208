import type { ClickHouse } from "./clickhouse/client";
import type { KafkaCluster } from "./kafka/client";
import type { Logger } from "./logger";

export interface MigrateTarget {
  database: string;
  topics: string[];
  partitions: number;
}

const sortingKey = "event, timestamp, kafka_partition, kafka_offset, kafka_index";

/**
 * The events table. It avoids everything newer than ClickHouse 18.16 (no DateTime64, no
 * LowCardinality, no TTL) so one schema serves old and current servers. ReplacingMergeTree keyed
 * on where an event sat in Kafka (partition, offset, line in the message) collapses the rows a
 * sink replays after a crash; queries that must not count them twice read with FINAL.
 */
export function eventsTableSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${database}\`.events (
  event String,
  timestamp DateTime,
  timestamp_ms UInt64,
  data String,
  received_at DateTime,
  kafka_partition UInt32,
  kafka_offset UInt64,
  kafka_index UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(timestamp)
ORDER BY (${sortingKey})`;
}

/**
 * Tables made before messages carried several events lack `kafka_index`; without it in the key,
 * events of one message with the same name and second would collapse into one row. A column
 * added in the same ALTER may extend the sorting key, on 18.16 and on current releases alike.
 */
async function addLineIndex(clickhouse: ClickHouse, database: string, logger: Logger) {
  const result = await clickhouse.client.query({
    query: `SELECT name FROM system.columns
      WHERE database = '${database}' AND table = 'events' AND name = 'kafka_index'`,
    format: "JSONEachRow",
  });
  if ((await result.json()).length > 0) return;
  await clickhouse.command(
    `ALTER TABLE \`${database}\`.events ADD COLUMN kafka_index UInt32, MODIFY ORDER BY (${sortingKey})`,
    { database: "" },
  );
  logger.info("clickhouse events table extended", { database, column: "kafka_index" });
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
  // The database name is a plain identifier (checked with the configuration), safe to quote.
  await addLineIndex(backends.clickhouse, target.database, logger);
  logger.info("clickhouse schema ready", { database: target.database });

  await backends.kafka.ensureTopics(
    target.topics.map((topic) => ({ topic, partitions: target.partitions })),
  );
  logger.info("kafka topics ready", { topics: target.topics });
}
