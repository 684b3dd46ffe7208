import { afterAll, describe, expect, test } from "bun:test";
import { loginBody, spawnServe, usersFolder } from "../support/serve";
import { testEnv } from "../support/stack";

const random = () => crypto.randomUUID().replaceAll("-", "");

describe("the log of a serving process", () => {
  const folder = usersFolder();
  afterAll(async () => (await folder).remove());

  test("one line per request, lifecycle lines, and never a password, token or secret", async () => {
    const { dir, usersFile, passwords } = await folder;
    const secret = `jwt-secret-${random()}`;
    const scrapeToken = `scrape-${random()}`;
    const wrongPassword = `wrong-password-${random()}`;
    const env = testEnv({
      JWT_SECRET: secret,
      METRICS_TOKEN: scrapeToken,
      USERS_FILE: usersFile,
      LOG_LEVEL: "debug",
      ENABLE_SINK: "false",
    });
    const server = spawnServe(env, dir);
    let exitCode: number | undefined;
    let token = "";
    let requests = 0;
    try {
      const url = await server.listening();
      const call = async (path: string, init?: RequestInit) => {
        requests += 1;
        return fetch(`${url}${path}`, init);
      };

      const login = await call("/login", loginBody("admin", passwords.admin));
      expect(login.status).toBe(200);
      token = ((await login.json()) as { token: string }).token;
      const bearer = { authorization: `Bearer ${token}` };

      expect((await call("/login", loginBody("admin", wrongPassword))).status).toBe(401);
      expect((await call("/login", loginBody("nobody", wrongPassword))).status).toBe(401);
      const broken = { ...loginBody("admin", ""), body: `{"password":"${wrongPassword}"` };
      expect((await call("/login", broken)).status).toBe(400);
      expect((await call(`/api/probe?password=${wrongPassword}`, { headers: bearer })).status).toBe(
        404,
      );
      const forged = { authorization: `Bearer ${token.slice(0, -4)}AAAA` };
      expect((await call("/api/probe", { headers: forged })).status).toBe(401);
      const produced = await call("/api/kafka/produce", {
        method: "POST",
        headers: { ...bearer, "content-type": "application/json" },
        body: JSON.stringify({ topic: "__consumer_offsets", message: wrongPassword }),
      });
      expect(produced.status).toBeGreaterThanOrEqual(400);
      const scrape = { authorization: `Bearer ${scrapeToken}` };
      expect((await call("/metrics", { headers: scrape })).status).toBe(200);
      expect((await call("/metrics", { headers: { authorization: "Bearer nope" } })).status).toBe(
        401,
      );
      await server.out.waitFor(
        () =>
          server.out.lines.filter((line) => line.includes('"msg":"request"')).length >= requests,
      );

      server.child.kill("SIGTERM");
      exitCode = await server.child.exited;
    } finally {
      server.child.kill("SIGKILL");
    }
    expect(exitCode).toBe(0);

    const everything = [...server.out.lines, ...server.err.lines].join("\n");
    const secrets = [passwords.admin, wrongPassword, secret, token, scrapeToken];
    for (const value of [...secrets, token.split(".")[2] ?? token]) {
      expect(everything.includes(value)).toBe(false);
    }

    const records = server.out.lines.filter(Boolean).map((line) => JSON.parse(line));
    const accessLines = records.filter((record) => record.msg === "request");
    expect(accessLines).toHaveLength(requests);
    const fields = ["level", "requestId", "method", "route", "status", "durationMs"] as const;
    for (const line of accessLines) {
      expect(fields.map((field) => typeof line[field])).toEqual([
        "string",
        "string",
        "string",
        "string",
        "number",
        "number",
      ]);
    }
    expect(
      accessLines.find((line) => line.route === "/api/*" && line.status === 404),
    ).toMatchObject({ user: "admin", role: "admin" });
    const messages = records.map((record) => record.msg);
    for (const lifecycle of ["listening", "stopping", "stopped"]) {
      expect(messages).toContain(lifecycle);
    }
  }, 60_000);
});
