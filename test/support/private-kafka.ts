import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { privateServer } from "./private-server";
import { closedPort } from "./stack";

const root = resolve(import.meta.dir, "../..");
const templates = join(root, "infrastructure/local/kafka");
// Where stack.sh keeps the broker's jars; it has run before any integration test.
const stackDir = process.env.STACK_DIR ?? join(root, ".stack");
export const stackKafkaLibs = join(stackDir, "kafka-libs");
/** A Kafka 3.x broker's jars, which stack.sh fetches beside the 4.x ones. */
export const kafka3Libs = join(stackDir, "kafka3-libs");

/**
 * A Kafka cluster id: sixteen random bytes, base64url without padding, as StorageTool writes one,
 * and like Kafka's own never starting with "-" (the tool would read it as an option).
 */
function clusterId(): string {
  for (;;) {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/**
 * A one-node Kafka broker of the test's own (own folder, own ports), from the same properties as
 * the shared one, for tests that take Kafka away and bring it back with its data. The shared
 * broker is never touched.
 */
export async function privateKafka(libs = stackKafkaLibs) {
  const folder = await mkdtemp(join(tmpdir(), "auterity-kafka-"));
  const [port, controllerPort] = [await closedPort(), await closedPort()];
  await mkdir(join(folder, "log"), { recursive: true });
  const properties = (await Bun.file(join(templates, "server.properties")).text())
    .replaceAll("@STATE@", folder)
    .replaceAll("@PORT@", String(port))
    .replaceAll("@CONTROLLER_PORT@", String(controllerPort));
  const config = join(folder, "server.properties");
  await Bun.write(config, properties);

  const java = (main: string, args: string[], log: string) =>
    Bun.spawn(
      [
        "java",
        "-Xms128m",
        "-Xmx512m",
        `-Dkafka.logs.dir=${join(folder, "log")}`,
        `-Dlog4j2.configurationFile=${join(templates, "log4j2.yaml")}`,
        "-cp",
        `${libs}/*`,
        main,
        ...args,
      ],
      {
        stdout: Bun.file(join(folder, "log", `${log}.out`)),
        stderr: Bun.file(join(folder, "log", `${log}.err`)),
      },
    );

  const format = java(
    "kafka.tools.StorageTool",
    ["format", "-t", clusterId(), "-c", config],
    "format",
  );
  if ((await format.exited) !== 0) {
    const why = await Bun.file(join(folder, "log", "format.err")).text();
    throw new Error(`formatting the private broker failed: ${why}`);
  }

  const brokers = `127.0.0.1:${port}`;
  const answers = () => {
    const probe = Bun.spawnSync(["kcat", "-b", brokers, "-L", "-m", "2"], { stderr: "pipe" });
    return probe.exitCode === 0;
  };
  const { start, stop, close } = privateServer({
    folder,
    spawn: () => java("kafka.Kafka", [config], "server"),
    answers,
    what: "private kafka up",
    timeoutMs: 90_000,
    intervalMs: 500,
  });

  await start();
  return { brokers, start, stop, close };
}
