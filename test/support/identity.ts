import { loginService } from "../../src/auth/login";
import type { Role } from "../../src/auth/roles";
import { tokenService } from "../../src/auth/tokens";
import type { User } from "../../src/auth/users";
import type { Config } from "../../src/config";

/** Fixture accounts, one per role; their passwords exist only in the tests. */
export const fixturePasswords: Record<Role, string> = {
  admin: "admin-fixture-password",
  user: "user-fixture-password",
  ingest: "ingest-fixture-password",
};

let users: Promise<Map<string, User>> | undefined;

export function fixtureUsers(): Promise<Map<string, User>> {
  users ??= (async () => {
    const entries = await Promise.all(
      (Object.entries(fixturePasswords) as [Role, string][]).map(async ([role, password]) => {
        const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id" });
        return [role, { username: role, passwordHash, role }] as const;
      }),
    );
    return new Map(entries);
  })();
  return users;
}

/** The identity parts of AppDeps, built the way the server builds them. */
export async function identityDeps(config: Config) {
  const tokens = tokenService(config.auth);
  return {
    tokens,
    login: loginService(await fixtureUsers(), tokens, {
      maxConcurrent: config.auth.loginMaxConcurrent,
    }),
  };
}

/** A valid token for a fixture user of `role`. */
export async function tokenFor(config: Config, role: Role): Promise<string> {
  const users = await fixtureUsers();
  const user = users.get(role);
  if (!user) throw new Error(`no fixture user for ${role}`);
  return (await tokenService(config.auth).issue(user)).token;
}
