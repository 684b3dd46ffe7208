import { ApiError } from "../errors";
import type { IssuedToken, TokenService } from "./tokens";
import type { User } from "./users";

const rejected = () =>
  new ApiError("unauthorized", "Invalid username or password", {
    headers: { "WWW-Authenticate": 'Bearer realm="auterity-analytics"' },
  });

/**
 * Checks a password and issues a token. An unknown user still costs one argon2 verification
 * against a throwaway hash, so the answer and its timing do not reveal which names exist.
 */
export function loginService(users: Map<string, User>, tokens: TokenService) {
  const decoy = Bun.password.hash(crypto.randomUUID(), { algorithm: "argon2id" });

  return async (username: string, password: string): Promise<IssuedToken> => {
    const user = users.get(username);
    const hash = user?.passwordHash ?? (await decoy);
    const matches = await Bun.password.verify(password, hash).catch(() => false);
    if (!user || !matches) throw rejected();
    return tokens.issue(user);
  };
}
