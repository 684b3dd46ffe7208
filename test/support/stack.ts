import { createClickHouse } from "../../src/clickhouse/client";
import { type Config, loadConfig } from "../../src/config";
import { createKafkaCluster } from "../../src/kafka/client";
import { silentLogger } from "../../src/logger";

/** A secret for tests only; production secrets come from the environment. */
export const testSecret = "test-secret-that-is-long-enough-0123456789";

/** Names unique to this test run, so concurrent runs never see each other's data. */
export const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Where the stack scripts put the real backends (overridable like the app's own variables). */
export const backendEnv = {
  CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? "http://127.0.0.1",
  CLICKHOUSE_PORT: process.env.CLICKHOUSE_PORT ?? "8123",
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
};

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_SECRET: testSecret,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "error",
    CLICKHOUSE_DATABASE: `test_${runId}`,
    KAFKA_TOPIC: `test-${runId}-events`,
    ...backendEnv,
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnv(overrides));
}

/** Real clients on the real backends, for tests to set up and inspect state. */
export function realBackends(config: Config) {
  return {
    clickhouse: createClickHouse(config.clickhouse),
    kafka: createKafkaCluster(config.kafka, silentLogger),
  };
}

/** A port nothing listens on, for "backend is down" tests. */
export async function closedPort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 100, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await Bun.sleep(intervalMs);
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`, { cause: lastError });
}
