import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";

const secret = "c".repeat(32);

describe("events, produce and sink settings", () => {
  test("defaults: the events topic alone is allowed, dead letters go beside it", () => {
    const config = loadConfig({ JWT_SECRET: secret });
    expect(config.kafka.allowedTopics).toEqual(["analytics-data"]);
    expect(config.sink).toEqual({
      groupId: "auterity-group",
      batchSize: 20000,
      batchMaxWaitMs: 1000,
      retryMaxMs: 30000,
      sessionTimeoutMs: 10000,
      deadLetterTopic: "analytics-data-dlq",
    });
    expect(config.events).toEqual({
      maxBatch: 1000,
      maxBodyBytes: 5 * 1024 * 1024,
      perMessage: 100,
    });
    expect(config.sinkEnabled).toBe(true);
  });

  test("listed topics add to the events topic; the dead-letter topic follows KAFKA_TOPIC", () => {
    const config = loadConfig({
      JWT_SECRET: secret,
      KAFKA_TOPIC: "clicks",
      KAFKA_ALLOWED_TOPICS: "audit, clicks",
    });
    expect(config.kafka.allowedTopics).toEqual(["clicks", "audit"]);
    expect(config.sink.deadLetterTopic).toBe("clicks-dlq");
  });

  test("bad values stop the start with the variable's name", () => {
    const bad = (env: Record<string, string>) => () => loadConfig({ JWT_SECRET: secret, ...env });
    expect(bad({ KAFKA_ALLOWED_TOPICS: "ok,not a topic" })).toThrow(/KAFKA_ALLOWED_TOPICS/);
    expect(bad({ KAFKA_ALLOWED_TOPICS: "__transaction_state" })).toThrow(/internal topics/);
    expect(bad({ SINK_BATCH_SIZE: "0" })).toThrow(/SINK_BATCH_SIZE/);
    expect(bad({ KAFKA_LINGER_MS: "-1" })).toThrow(/KAFKA_LINGER_MS/);
    expect(bad({ ENABLE_SINK: "yes" })).toThrow(/ENABLE_SINK/);
    expect(bad({ SINK_DLQ_TOPIC: "dead letters" })).toThrow(/SINK_DLQ_TOPIC/);
    // Below the broker's group.min.session.timeout.ms (6 s) the group would refuse to join.
    expect(bad({ SINK_SESSION_TIMEOUT_MS: "5000" })).toThrow(/SINK_SESSION_TIMEOUT_MS/);
  });
});
