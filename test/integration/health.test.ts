import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appOnRealBackends } from "../support/app";
import { closedPort, testConfig } from "../support/stack";

interface BackendState {
  status: string;
}
interface HealthBody {
  status: string;
  code?: string;
  requestId?: string;
  clickhouse: BackendState;
  kafka: BackendState;
}

describe("health on the real backends", () => {
  let live: Awaited<ReturnType<typeof appOnRealBackends>>;
  beforeAll(async () => {
    live = await appOnRealBackends(testConfig());
  });
  afterAll(() => live.close());

  test("/health reports both backends up with the seed's status line", async () => {
    const res = await live.app.request("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthBody;
    expect(body.status).toBe("API is running");
    expect(body.clickhouse.status).toBe("up");
    expect(body.kafka.status).toBe("up");
  });

  test("/health/ready is 200 when ClickHouse and Kafka answer", async () => {
    const res = await live.app.request("/health/ready");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ready" });
  });
});

describe("health with the backends down", () => {
  test("/health/ready is a quick 503 naming what is down; /health still answers 200", async () => {
    const [chPort, kafkaPort] = [await closedPort(), await closedPort()];
    const down = await appOnRealBackends(
      testConfig({
        CLICKHOUSE_URL: `http://127.0.0.1:${chPort}`,
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        HEALTH_TIMEOUT_MS: "1500",
      }),
    );
    try {
      const started = Date.now();
      const ready = await down.app.request("/health/ready");
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as HealthBody;
      expect(body).toMatchObject({
        status: "not_ready",
        code: "backend_unavailable",
        clickhouse: { status: "down" },
        kafka: { status: "down" },
      });
      expect(typeof body.requestId).toBe("string");
      expect(JSON.stringify(body)).not.toContain(String(chPort));

      const health = await down.app.request("/health");
      expect(health.status).toBe(200);
      expect(((await health.json()) as HealthBody).clickhouse.status).toBe("down");
    } finally {
      await down.close();
    }
  });
});
