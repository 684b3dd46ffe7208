import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/logger";
import { type RunningServer, startServer } from "../../src/server";
import { tokenFor } from "../support/identity";
import { loginBody, servedApp, usersFolder } from "../support/serve";
import { testConfig } from "../support/stack";

function promtool(text: string) {
  const binary = Bun.which("promtool");
  if (!binary) throw new Error("promtool is missing: bash infrastructure/local/stack.sh install");
  const run = Bun.spawnSync([binary, "check", "metrics"], {
    stdin: new TextEncoder().encode(text),
  });
  return { exitCode: run.exitCode, output: run.stdout.toString() + run.stderr.toString() };
}

// Everything SPEC §7 asks /metrics for, by the names this API exports.
const required = [
  "http_requests_total",
  "http_request_duration_seconds",
  "query_cache_hits_total",
  "query_cache_misses_total",
  "query_cache_entries",
  "query_cache_size_bytes",
  "clickhouse_queries_in_flight",
  "clickhouse_queries_queued",
  "clickhouse_query_duration_seconds",
  "clickhouse_query_errors_total",
  "login_checks_in_flight",
  "login_checks_queued",
  "kafka_messages_produced_total",
  "kafka_produce_failures_total",
  "sink_rows_inserted_total",
  "sink_batches_total",
  "sink_lag_messages",
  "sink_dead_letters_total",
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
];

describe("/metrics of a running server", () => {
  const users = usersFolder();
  let running: RunningServer;
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    const folder = await users;
    config = testConfig({
      USERS_FILE: folder.usersFile,
      PROMETHEUS_PORT: "0",
      ENABLE_SINK: "false",
    });
    running = await startServer(config, createLogger("error"));

    // Some traffic, so that the HTTP series exist with several labels.
    const url = running.url;
    await fetch(`${url}/health`);
    await fetch(`${url}/health/live`);
    await fetch(`${url}/login`, loginBody("admin", folder.passwords.admin));
    await fetch(`${url}/login`, loginBody("admin", "wrong"));
    await fetch(`${url}/no/such/page/12345`);
    const token = await tokenFor(config, "admin");
    await fetch(`${url}/api/unknown/67890`, { headers: { authorization: `Bearer ${token}` } });
    await fetch(`${url}/api/unknown/67890`, { method: "DELETE" });
  });
  afterAll(async () => {
    await running?.stop("test over");
    await (await users).remove();
  });

  test("passes promtool check metrics", async () => {
    const res = await fetch(`${running.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    expect(promtool(text)).toEqual({ exitCode: 0, output: "" });
  });

  test("exports everything the spec lists, labelled by route template", async () => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    for (const name of required) expect(text).toContain(`# TYPE ${name} `);

    const series = (route: string, status: number, method = "GET") =>
      `http_requests_total{method="${method}",route="${route}",status="${status}"} `;
    expect(text).toContain(series("/health", 200));
    expect(text).toContain(series("/login", 200, "POST"));
    expect(text).toContain(series("/login", 401, "POST"));
    expect(text).toContain(series("unmatched", 404));
    expect(text).toContain(series("/api/*", 404));
    expect(text).toContain(series("/api/*", 401, "DELETE"));
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/health"');
    // Raw paths would make one series per URL; none may appear.
    expect(text).not.toMatch(/12345|67890|no\/such/);
  });

  test("PROMETHEUS_PORT serves the same metrics, and nothing else", async () => {
    const { metricsUrl } = running;
    expect(metricsUrl).toBeDefined();
    const res = await fetch(`${metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(promtool(await res.text()).exitCode).toBe(0);
    const other = await fetch(`${metricsUrl}/health`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: "not_found" });
  });
});

describe("/metrics with a scrape token", () => {
  test("refuses a scrape without the token or with a wrong one", async () => {
    const scrapeToken = `scrape-${crypto.randomUUID()}`;
    const served = await servedApp({ METRICS_TOKEN: scrapeToken });
    try {
      const bare = await fetch(`${served.url}/metrics`);
      expect(bare.status).toBe(401);
      expect(bare.headers.get("www-authenticate")).toContain("Bearer");
      expect(await bare.json()).toMatchObject({ code: "unauthorized" });
      const wrong = await fetch(`${served.url}/metrics`, {
        headers: { authorization: `Bearer ${scrapeToken}x` },
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${served.url}/metrics`, {
        headers: { authorization: `Bearer ${scrapeToken}` },
      });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain("http_requests_total");
    } finally {
      await served.close();
    }
  });
});
