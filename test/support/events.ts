import type { ClickHouse } from "../../src/clickhouse/client";
import type { Config } from "../../src/config";
import type { KafkaCluster } from "../../src/kafka/client";
import { silentLogger } from "../../src/logger";
import { migrate } from "../../src/migrate";
import { privateKafka, stackKafkaLibs } from "./private-kafka";
import { backendEnv, eventually, realBackends, runId, testConfig } from "./stack";

interface Backends {
  clickhouse: ClickHouse;
  kafka: KafkaCluster;
}

/** Creates the run's database, events table, events topic and dead-letter topic. */
export async function migrateEvents(config: Config, backends: Backends) {
  const target = {
    database: config.clickhouse.database,
    topics: [config.kafka.topic, config.sink.deadLetterTopic],
    partitions: 3,
  };
  await migrate(target, backends, silentLogger);
}

/** Removes what `migrateEvents` created. */
export async function dropEvents(config: Config, backends: Backends) {
  await backends.clickhouse
    .command(`DROP DATABASE IF EXISTS \`${config.clickhouse.database}\``, { database: "" })
    .catch(() => {});
  const admin = backends.kafka.kafka.admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [config.kafka.topic, config.sink.deadLetterTopic] });
  } catch {
    // A topic that is already gone is fine.
  } finally {
    await admin.disconnect();
  }
}

/**
 * A broker of the test's own with the run's events database, table and topics on it, named after
 * `name`. `env` adds to the variables the test's API gets; `close` removes all of it.
 */
export async function eventsOnPrivateKafka(
  name: string,
  options: { libs?: string; env?: Record<string, string> } = {},
) {
  const kafka = await privateKafka(options.libs ?? stackKafkaLibs);
  const overrides: Record<string, string> = {
    KAFKA_BROKERS: kafka.brokers,
    CLICKHOUSE_DATABASE: `test_${runId}_${name.replaceAll("-", "_")}`,
    KAFKA_TOPIC: `test-${runId}-${name}`,
    SINK_GROUP_ID: `test-${runId}-${name}`,
    SINK_BATCH_MAX_WAIT_MS: "300",
    RATE_LIMIT_MAX: "0",
    LOG_LEVEL: "info",
    ...options.env,
  };
  const config = testConfig(overrides);
  const backends = realBackends(config);
  const close = async () => {
    await dropEvents(config, backends).catch(() => {});
    await Promise.allSettled([backends.clickhouse.close(), backends.kafka.close()]);
    await kafka.close();
  };
  await migrateEvents(config, backends).catch(async (error) => {
    await close();
    throw error;
  });
  return { kafka, overrides, config, backends, close };
}

/** Rows of the events table as queries see them once replays are collapsed. */
export async function storedEvents(clickhouse: ClickHouse, database: string) {
  const result = await clickhouse.client.query({
    query: `SELECT event, toUnixTimestamp(timestamp) AS seconds, timestamp_ms, data,
      kafka_partition, kafka_offset FROM \`${database}\`.events FINAL`,
    format: "JSONEachRow",
  });
  return (await result.json()) as {
    event: string;
    seconds: number;
    timestamp_ms: string;
    data: string;
    kafka_partition: number;
    kafka_offset: string;
  }[];
}

/** The `data.id` of every stored event, for tests whose events carry one. */
export async function storedIds(clickhouse: ClickHouse, database: string): Promise<Set<string>> {
  const rows = await storedEvents(clickhouse, database);
  return new Set(rows.map((row) => JSON.parse(row.data).id as string));
}

/** Waits until every id in `ids` is stored, and returns all the stored ids. */
export function allStored(
  clickhouse: ClickHouse,
  database: string,
  ids: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Set<string>> {
  return eventually(
    async () => {
      const found = await storedIds(clickhouse, database);
      return [...ids].every((id) => found.has(id)) ? found : undefined;
    },
    { timeoutMs, intervalMs: 500, what: "every acknowledged event stored" },
  );
}

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Reads messages with kcat, a client that shares no code with this one. */
export function kcatRead(
  topic: string,
  options: {
    partition?: number;
    offset?: number | "beginning";
    count?: number;
    brokers?: string;
  } = {},
): KcatRecord[] {
  const brokers = options.brokers ?? backendEnv.KAFKA_BROKERS;
  const args = ["kcat", "-b", brokers, "-C", "-J", "-e", "-q", "-t", topic];
  if (options.partition !== undefined) args.push("-p", String(options.partition));
  args.push("-o", String(options.offset ?? "beginning"));
  if (options.count !== undefined) args.push("-c", String(options.count));
  const run = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  if (run.exitCode !== 0) throw new Error(`kcat failed: ${run.stderr.toString()}`);
  return run.stdout
    .toString()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as KcatRecord);
}

/** kcat lists headers as [name, value, name, value, …]. */
export function headerMap(record: KcatRecord): Record<string, string> {
  const map: Record<string, string> = {};
  const list = record.headers ?? [];
  for (let index = 0; index + 1 < list.length; index += 2) {
    map[list[index] as string] = list[index + 1] as string;
  }
  return map;
}

/** True once the group has committed every message of the topic, i.e. the sink is done. */
export async function committedAll(kafka: KafkaCluster, groupId: string, topic: string) {
  const admin = kafka.kafka.admin();
  try {
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((end) => {
      const done = committed?.partitions.find((p) => p.partition === end.partition);
      return end.high === "0" || done?.offset === end.high;
    });
  } finally {
    await admin.disconnect();
  }
}
