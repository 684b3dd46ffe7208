import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../types";
import { requireJson, validate } from "../validation";

export const loginBody = z.object({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
});

type Login = (username: string, password: string) => Promise<unknown>;

export function loginRoutes(login: Login) {
  return new Hono<AppEnv>().post("/login", requireJson, validate("json", loginBody), async (c) => {
    const { username, password } = c.req.valid("json");
    return c.json(await login(username, password));
  });
}
