import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config";

const secret = "s".repeat(32);

describe("loadConfig", () => {
  test("applies the documented defaults when only the secret is set", () => {
    const config = loadConfig({ JWT_SECRET: secret });
    expect(config.port).toBe(3000);
    expect(config.clickhouse).toEqual({
      url: "http://localhost:8123",
      user: "default",
      password: "",
      database: "analytics",
    });
    expect(config.kafka.brokers).toEqual(["localhost:9092"]);
    expect(config.kafka.topic).toBe("analytics-data");
    expect(config.auth.loginMaxConcurrent).toBe(2);
  });

  test("password checks need at least one slot", () => {
    expect(() => loadConfig({ JWT_SECRET: secret, LOGIN_MAX_CONCURRENT: "0" })).toThrow(
      /LOGIN_MAX_CONCURRENT/,
    );
  });

  test("refuses to start without a secret, naming the variable", () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/JWT_SECRET/);
  });

  test("refuses a secret shorter than 32 bytes", () => {
    expect(() => loadConfig({ JWT_SECRET: "x".repeat(31) })).toThrow(
      /JWT_SECRET: must be at least 32 bytes/,
    );
  });

  test("names the variable of a value with the wrong type", () => {
    expect(() => loadConfig({ JWT_SECRET: secret, PORT: "eighty" })).toThrow(
      /^invalid configuration: PORT:/,
    );
    expect(() => loadConfig({ JWT_SECRET: secret, PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadConfig({ JWT_SECRET: secret, KAFKA_BROKERS: "nohostport" })).toThrow(
      /KAFKA_BROKERS/,
    );
    expect(() => loadConfig({ JWT_SECRET: secret, CLICKHOUSE_DATABASE: "x; DROP" })).toThrow(
      /CLICKHOUSE_DATABASE/,
    );
  });

  test("a port in CLICKHOUSE_URL wins over CLICKHOUSE_PORT", () => {
    const withPort = loadConfig({
      JWT_SECRET: secret,
      CLICKHOUSE_URL: "http://ch:9999",
      CLICKHOUSE_PORT: "8124",
    });
    expect(withPort.clickhouse.url).toBe("http://ch:9999");
    const without = loadConfig({
      JWT_SECRET: secret,
      CLICKHOUSE_URL: "http://ch",
      CLICKHOUSE_PORT: "8124",
    });
    expect(without.clickhouse.url).toBe("http://ch:8124");
  });

  test("splits and trims the broker list", () => {
    const config = loadConfig({ JWT_SECRET: secret, KAFKA_BROKERS: "a:1, b:2 ,c:3" });
    expect(config.kafka.brokers).toEqual(["a:1", "b:2", "c:3"]);
  });

  test("commands that sign nothing run without the secret", () => {
    expect(loadConfig({}, { needsSecret: false }).auth.secret).toBe("");
  });
});
