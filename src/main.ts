#!/usr/bin/env bun
import { createClickHouse } from "./clickhouse/client";
import { ConfigError, loadConfig } from "./config";
import { createKafkaCluster } from "./kafka/client";
import { createLogger, flushLogs } from "./logger";
import { migrate } from "./migrate";
import { routeProcessWarnings } from "./process-warnings";
import { startServer, stopOnSignals } from "./server";
import { runSink } from "./sink/run";
import { version } from "./version";

const usage = `auterity-analytics ${version}

Usage:
  auterity-analytics [serve]        run the HTTP API (and the sink, unless ENABLE_SINK=false)
  auterity-analytics sink           run only the sink (Kafka events topic into ClickHouse)
  auterity-analytics migrate        create the ClickHouse database, tables and Kafka topics
  auterity-analytics hash-password  read a password from stdin, print its argon2id hash
  auterity-analytics --help | --version

Configuration comes from the environment and from a .env file in the working directory.
`;

async function readPassword(): Promise<string> {
  const text = await new Response(Bun.stdin.stream()).text();
  return text.replace(/\r?\n$/, "");
}

async function run(args: string[]): Promise<number> {
  const command = args[0] ?? "serve";

  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(usage);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (command === "hash-password") {
    const password = await readPassword();
    if (password.length === 0) {
      process.stderr.write("auterity-analytics: no password on stdin\n");
      return 1;
    }
    process.stdout.write(`${await Bun.password.hash(password, { algorithm: "argon2id" })}\n`);
    return 0;
  }
  if (command === "migrate") {
    const config = loadConfig(process.env, { needsSecret: false });
    const logger = createLogger(config.logLevel);
    const clickhouse = createClickHouse(config.clickhouse);
    const kafka = createKafkaCluster(config.kafka, logger);
    try {
      await migrate(
        {
          database: config.clickhouse.database,
          topics: [config.kafka.topic, config.sink.deadLetterTopic],
          partitions: 3,
        },
        { clickhouse, kafka },
        logger,
      );
    } finally {
      await Promise.allSettled([clickhouse.close(), kafka.close()]);
    }
    return 0;
  }
  if (command === "sink") {
    const config = loadConfig(process.env, { needsSecret: false });
    const logger = createLogger(config.logLevel);
    stopOnSignals(await runSink(config, logger), config, logger);
    return -1;
  }
  if (command === "serve") {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    stopOnSignals(await startServer(config, logger), config, logger);
    return -1;
  }

  process.stderr.write(`auterity-analytics: unknown command "${command}"\n\n${usage}`);
  return 2;
}

routeProcessWarnings((warning) =>
  process.stderr.write(`${JSON.stringify({ level: "warn", msg: "process warning", warning })}\n`),
);

try {
  const code = await run(process.argv.slice(2));
  if (code >= 0) {
    flushLogs();
    process.exit(code);
  }
} catch (error) {
  const message = error instanceof ConfigError ? error.message : `failed: ${String(error)}`;
  process.stderr.write(`auterity-analytics: ${message}\n`);
  process.exit(1);
}
