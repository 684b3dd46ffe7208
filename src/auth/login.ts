import { ApiError } from "../errors";
import { createSlots, type Gauge } from "../slots";
import type { IssuedToken, TokenService } from "./tokens";
import type { User } from "./users";

const rejected = () =>
  new ApiError("unauthorized", "Invalid username or password", {
    headers: { "WWW-Authenticate": 'Bearer realm="auterity-analytics"' },
  });

export interface LoginOptions {
  /** Password checks running at once; each holds the hash's memory cost (64 MiB by default). */
  maxConcurrent: number;
  /** Logins past the running ones wait in line, this many at most (100)… */
  queueSize?: number;
  /** …and this long at most (5 s). */
  queueTimeoutMs?: number;
  inFlight?: Gauge;
  queued?: Gauge;
}

/**
 * Checks a password and issues a token. An unknown user still costs one argon2 verification
 * against a throwaway hash, so the answer and its timing do not reveal which names exist.
 * Verifications take turns, so a burst of logins holds a bounded amount of memory whatever the
 * number of cores; past the line a login gets a 503 with Retry-After.
 */
export function loginService(
  users: Map<string, User>,
  tokens: TokenService,
  options: LoginOptions,
) {
  const decoy = Bun.password.hash(crypto.randomUUID(), { algorithm: "argon2id" });
  const { inFlight, queued, ...sizes } = options;
  const checks = createSlots(
    { queueSize: 100, queueTimeoutMs: 5_000, ...sizes },
    { noun: { one: "login", many: "logins" }, inFlight, queued },
  );

  return async (username: string, password: string): Promise<IssuedToken> => {
    const user = users.get(username);
    const hash = user?.passwordHash ?? (await decoy);
    const matches = await checks.run(() => Bun.password.verify(password, hash).catch(() => false));
    if (!user || !matches) throw rejected();
    return tokens.issue(user);
  };
}
