import { type Admin, Kafka, type LogEntry, logLevel } from "kafkajs";
import type { Config } from "../config";
import type { Logger } from "../logger";

/** What the rest of the app needs from the Kafka cluster itself (producing and the sink aside). */
export interface KafkaCluster {
  readonly kafka: Kafka;
  /** Resolves when a broker answers a metadata request within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  ensureTopics(topics: { topic: string; partitions: number }[]): Promise<void>;
  close(): Promise<void>;
}

// kafkajs reports each failed response it is about to retry as an error (a group coordinator
// still being elected, a broker restarting); failures that reach the API are logged where they
// are handled, so kafkajs' own errors are warnings here.
const levelNames: Record<number, "debug" | "info" | "warn" | "error"> = {
  [logLevel.ERROR]: "warn",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "debug",
  [logLevel.DEBUG]: "debug",
};

/** kafkajs logs through our logger; its chatty info lines become debug. */
function logCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      logger[levelNames[level] ?? "debug"](`kafka ${String(message).toLowerCase()}`, {
        namespace,
        ...fields,
      });
    };
}

export function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export function createKafkaCluster(config: Config["kafka"], logger: Logger): KafkaCluster {
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger),
  });
  let admin: Admin | undefined;

  // The admin client is kept between calls; a failed call drops it so the next one reconnects.
  const withAdmin = async <T>(work: (admin: Admin) => Promise<T>): Promise<T> => {
    admin ??= kafka.admin({ retry: { retries: 0 } });
    const current = admin;
    try {
      await current.connect();
      return await work(current);
    } catch (error) {
      if (admin === current) admin = undefined;
      await current.disconnect().catch(() => {});
      throw error;
    }
  };

  return {
    kafka,

    async ping(timeoutMs) {
      await timeout(
        withAdmin((a) => a.describeCluster()),
        timeoutMs,
        "kafka metadata request",
      );
    },

    async ensureTopics(topics) {
      await withAdmin(async (a) => {
        const existing = new Set(await a.listTopics());
        const missing = topics.filter(({ topic }) => !existing.has(topic));
        if (missing.length === 0) return;
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map(({ topic, partitions }) => ({ topic, numPartitions: partitions })),
        });
      });
    },

    async close() {
      await admin?.disconnect();
      admin = undefined;
    },
  };
}
