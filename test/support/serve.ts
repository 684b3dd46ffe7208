import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { appOnRealBackends } from "./app";
import { lineReader } from "./binary";
import { fixturePasswords, fixtureUsers } from "./identity";
import { testConfig } from "./stack";

const main = resolve(import.meta.dir, "../../src/main.ts");

/** The app on the real backends behind a real Bun.serve on a free loopback port. */
export async function servedApp(overrides: Record<string, string> = {}) {
  const config = testConfig({ ENABLE_SINK: "false", ...overrides });
  const live = await appOnRealBackends(config);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: live.app.fetch });
  const url = `http://127.0.0.1:${server.port}`;
  const close = async () => {
    await server.stop(true);
    await live.close();
  };
  return { ...live, config, url, close };
}

/** A folder holding a users file with the fixture accounts, for processes that read one. */
export async function usersFolder() {
  const dir = await mkdtemp(join(tmpdir(), "auterity-users-"));
  const users = [...(await fixtureUsers()).values()];
  await Bun.write(join(dir, "users.json"), JSON.stringify({ users }));
  return {
    dir,
    usersFile: join(dir, "users.json"),
    passwords: fixturePasswords,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `serve` from the sources as a child process, with every line it writes kept. */
export function spawnServe(env: Record<string, string>, cwd: string) {
  const child = Bun.spawn([process.execPath, main, "serve"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = lineReader(child.stdout);
  const err = lineReader(child.stderr);
  const listening = async () => {
    const line = await out.waitFor((text) => text.includes('"msg":"listening"'));
    return (JSON.parse(line) as { url: string }).url;
  };
  return { child, out, err, listening };
}

export const loginBody = (username: string, password: string) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username, password }),
});
