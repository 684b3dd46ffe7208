import { z } from "zod";
import { ConfigError } from "../config";
import { roles } from "./roles";

const usersFileSchema = z.object({
  users: z
    .array(
      z.object({
        username: z.string().min(1).max(128),
        passwordHash: z.string().startsWith("$argon2id$", "must be an argon2id hash"),
        role: z.enum(roles),
      }),
    )
    .min(1, "must list at least one user"),
});

export type User = z.infer<typeof usersFileSchema>["users"][number];

/** Reads and checks the users file once at start-up; any problem stops the process. */
export async function loadUsers(path: string): Promise<Map<string, User>> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new ConfigError(`USERS_FILE: no file at ${path}`);

  let raw: unknown;
  try {
    raw = await file.json();
  } catch {
    throw new ConfigError(`USERS_FILE: ${path} is not valid JSON`);
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`USERS_FILE: ${issue?.path.join(".") || "file"}: ${issue?.message}`);
  }

  const users = new Map<string, User>();
  for (const user of parsed.data.users) {
    if (users.has(user.username)) {
      throw new ConfigError(`USERS_FILE: user "${user.username}" is listed twice`);
    }
    users.set(user.username, user);
  }
  return users;
}
