import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { privateServer } from "./private-server";
import { closedPort } from "./stack";

const templates = resolve(import.meta.dir, "../../infrastructure/local/clickhouse");

/**
 * A ClickHouse server of the test's own (own folder, own ports), built from the same config as
 * the shared one, for tests that need to take ClickHouse away. The shared server is never touched.
 */
export async function privateClickHouse() {
  const folder = await mkdtemp(join(tmpdir(), "auterity-ch-"));
  const [httpPort, tcpPort] = [await closedPort(), await closedPort()];
  for (const sub of ["conf", "log", "data", "tmp", "user_files"]) {
    await mkdir(join(folder, sub), { recursive: true });
  }
  const config = (await Bun.file(join(templates, "config.xml")).text())
    .replaceAll("@STATE@", folder)
    .replace("@HTTP_PORT@", String(httpPort))
    .replace("@TCP_PORT@", String(tcpPort));
  await Bun.write(join(folder, "conf", "config.xml"), config);
  await Bun.write(join(folder, "conf", "users.xml"), Bun.file(join(templates, "users.xml")));

  const url = `http://127.0.0.1:${httpPort}`;
  const answers = async () => {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  };
  const { start, stop, close } = privateServer({
    folder,
    spawn: () =>
      Bun.spawn(["clickhouse-server", `--config-file=${join(folder, "conf", "config.xml")}`], {
        cwd: folder,
        stdout: Bun.file(join(folder, "log", "stdout.log")),
        stderr: Bun.file(join(folder, "log", "stderr.log")),
      }),
    answers,
    what: "private clickhouse up",
    timeoutMs: 60_000,
    intervalMs: 200,
  });

  await start();
  return { url, httpPort, start, stop, close };
}
