import { describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import { tokenService } from "../../src/auth/tokens";
import { loadConfig } from "../../src/config";
import { eventually } from "../support/stack";

const secret = "t".repeat(40);
const tokens = tokenService(loadConfig({ JWT_SECRET: secret }).auth);
const now = () => Math.floor(Date.now() / 1000);

describe("token verification", () => {
  test("a verified token is answered again without a new check, until it expires", async () => {
    const token = await sign({ sub: "ann", role: "user", iat: now(), exp: now() + 2 }, secret);
    expect(await tokens.verify(token)).toEqual({ name: "ann", role: "user" });
    expect(await tokens.verify(token)).toEqual({ name: "ann", role: "user" });

    const refused = await eventually(
      () =>
        tokens.verify(token).then(
          () => false,
          (error: Error) => error.message,
        ),
      { timeoutMs: 5_000, intervalMs: 200, what: "the remembered token to expire" },
    );
    expect(refused).toBe("Token expired");
  });

  test("a remembered token does not vouch for a tampered copy of it", async () => {
    const token = await sign({ sub: "ann", role: "user", iat: now(), exp: now() + 60 }, secret);
    await tokens.verify(token);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url");
    await expect(tokens.verify(`${header}.${forged}.${signature}`)).rejects.toThrow(
      "Invalid token signature",
    );
  });
});
