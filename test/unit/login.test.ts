import { describe, expect, test } from "bun:test";
import { loginService } from "../../src/auth/login";
import { tokenService } from "../../src/auth/tokens";
import { loadConfig } from "../../src/config";
import { fixturePasswords, fixtureUsers } from "../support/identity";

const tokens = tokenService(loadConfig({ JWT_SECRET: "l".repeat(40) }).auth);

/** What a login came to: a token's role, or the error code and its extra headers. */
const outcome = (attempt: Promise<{ token: string }>) =>
  attempt.then(
    () => "token",
    (error: { code: string; headers: Record<string, string> }) =>
      `${error.code}${error.headers["Retry-After"] ? " retry-after" : ""}`,
  );

describe("password checks take turns", () => {
  test("past the line a login is refused at once with a 503, and the line moves on", async () => {
    const highest = { inFlight: 0, queued: 0 };
    const gauge = (name: keyof typeof highest) => ({
      set: (value: number) => {
        highest[name] = Math.max(highest[name], value);
      },
    });
    const login = loginService(await fixtureUsers(), tokens, {
      maxConcurrent: 1,
      queueSize: 1,
      inFlight: gauge("inFlight"),
      queued: gauge("queued"),
    });
    // An unknown name is checked against a throwaway hash, made once when the service starts.
    expect(await outcome(login("nobody", "wrong"))).toBe("unauthorized");
    const outcomes = await Promise.all([
      outcome(login("user", "wrong")),
      outcome(login("admin", fixturePasswords.admin)),
      outcome(login("nobody", "wrong")),
    ]);
    // One checks, one waits and then gets its token, the third finds the line full.
    expect(outcomes).toEqual(["unauthorized", "token", "queue_full retry-after"]);
    expect(highest).toEqual({ inFlight: 1, queued: 1 });

    // Refusals hold nothing: the next login is checked as usual.
    expect(await outcome(login("user", fixturePasswords.user))).toBe("token");
  });

  test("a login that waits past the line's time limit is refused, not left hanging", async () => {
    const login = loginService(await fixtureUsers(), tokens, {
      maxConcurrent: 1,
      queueSize: 10,
      queueTimeoutMs: 1,
    });
    const [first, second] = await Promise.all([
      outcome(login("user", fixturePasswords.user)),
      login("admin", fixturePasswords.admin).catch((error: Error) => error.message),
    ]);
    expect(first).toBe("token");
    expect(second).toBe("No login slot became free within 1 ms");
  });
});
