import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadUsers } from "../../src/auth/users";
import { ConfigError } from "../../src/config";

const dir = await mkdtemp(join(tmpdir(), "auterity-users-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const hash = await Bun.password.hash("fixture-password", { algorithm: "argon2id" });
const write = async (name: string, content: string) => {
  const path = join(dir, name);
  await Bun.write(path, content);
  return path;
};

describe("the users file", () => {
  test("a valid file gives each user by name", async () => {
    const path = await write(
      "ok.json",
      JSON.stringify({ users: [{ username: "ann", passwordHash: hash, role: "user" }] }),
    );
    const users = await loadUsers(path);
    expect(users.get("ann")?.role).toBe("user");
  });

  test.each([
    ["a missing file", undefined, /USERS_FILE: no file at/],
    ["broken JSON", "{users:", /USERS_FILE: .* is not valid JSON/],
    ["no users", JSON.stringify({ users: [] }), /USERS_FILE: users: must list at least one user/],
    [
      "a hash that is not argon2id",
      JSON.stringify({ users: [{ username: "ann", passwordHash: "plain", role: "user" }] }),
      /USERS_FILE: users\.0\.passwordHash: must be an argon2id hash/,
    ],
    [
      "an unknown role",
      JSON.stringify({ users: [{ username: "ann", passwordHash: hash, role: "root" }] }),
      /USERS_FILE: users\.0\.role/,
    ],
    [
      "the same name twice",
      JSON.stringify({
        users: [
          { username: "ann", passwordHash: hash, role: "user" },
          { username: "ann", passwordHash: hash, role: "admin" },
        ],
      }),
      /USERS_FILE: user "ann" is listed twice/,
    ],
  ])("%s stops the start with one line naming USERS_FILE", async (_situation, content, message) => {
    const path =
      content === undefined ? join(dir, "absent.json") : await write("bad.json", content);
    const loading = loadUsers(path);
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(message);
  });
});
