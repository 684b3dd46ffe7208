import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric the process exports, declared in one place. Labels are a small, known set:
 * route templates (never raw paths), methods, status codes, roles, outcomes and topics from the
 * allow-list.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters break Prometheus naming (promtool rejects them); the same counts
  // stay available per type as nodejs_active_handles, nodejs_active_requests and so on.
  for (const name of ["handles", "requests", "resources"]) {
    registry.removeSingleMetric(`nodejs_active_${name}_total`);
  }
  const registers = [registry];

  return {
    registry,

    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by method, route template and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method, route template and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    rateLimited: new Counter({
      name: "http_rate_limited_total",
      help: "Requests refused with 429, by route group and what was counted (ip, user, username)",
      labelNames: ["group", "scope"] as const,
      registers,
    }),
    rateLimitKeys: new Gauge({
      name: "http_rate_limit_tracked_keys",
      help: "Clients the rate limiter tracks now (bounded by RATE_LIMIT_MAX_KEYS)",
      registers,
    }),

    cacheHits: new Counter({
      name: "query_cache_hits_total",
      help: "Queries answered from the cache",
      registers,
    }),
    cacheMisses: new Counter({
      name: "query_cache_misses_total",
      help: "Cacheable queries that had to run on ClickHouse",
      registers,
    }),
    cacheEntries: new Gauge({
      name: "query_cache_entries",
      help: "Results held in the query cache",
      registers,
    }),
    cacheBytes: new Gauge({
      name: "query_cache_size_bytes",
      help: "Approximate bytes held in the query cache",
      registers,
    }),

    queriesInFlight: new Gauge({
      name: "clickhouse_queries_in_flight",
      help: "ClickHouse queries running now",
      registers,
    }),
    queriesQueued: new Gauge({
      name: "clickhouse_queries_queued",
      help: "ClickHouse queries waiting for a free slot",
      registers,
    }),
    loginChecksInFlight: new Gauge({
      name: "login_checks_in_flight",
      help: "Password checks running now",
      registers,
    }),
    loginChecksQueued: new Gauge({
      name: "login_checks_queued",
      help: "Logins waiting for a password check",
      registers,
    }),
    queryDuration: new Histogram({
      name: "clickhouse_query_duration_seconds",
      help: "ClickHouse query time, by role and outcome",
      labelNames: ["role", "outcome"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    queryErrors: new Counter({
      name: "clickhouse_query_errors_total",
      help: "ClickHouse queries that failed, by error code of this API",
      labelNames: ["code"] as const,
      registers,
    }),

    kafkaProduced: new Counter({
      name: "kafka_messages_produced_total",
      help: "Messages Kafka acknowledged, by topic",
      labelNames: ["topic"] as const,
      registers,
    }),
    kafkaProduceFailures: new Counter({
      name: "kafka_produce_failures_total",
      help: "Messages Kafka did not acknowledge, by topic",
      labelNames: ["topic"] as const,
      registers,
    }),
    kafkaBatchMessages: new Histogram({
      name: "kafka_produce_batch_messages",
      help: "Messages per batch the producer sent to Kafka in one request",
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),

    sinkRows: new Counter({
      name: "sink_rows_inserted_total",
      help: "Event rows the sink inserted into ClickHouse",
      registers,
    }),
    sinkBatches: new Counter({
      name: "sink_batches_total",
      help: "Batches the sink tried to insert, by outcome",
      labelNames: ["outcome"] as const,
      registers,
    }),
    sinkLag: new Gauge({
      name: "sink_lag_messages",
      help: "Messages in the events topic not yet committed by the sink",
      registers,
    }),
    sinkDeadLetters: new Counter({
      name: "sink_dead_letters_total",
      help: "Messages the sink sent to the dead-letter topic",
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
