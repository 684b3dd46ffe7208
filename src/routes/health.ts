import { Hono } from "hono";
import { checkBackends } from "../health";
import type { AppDeps, AppEnv } from "../types";
import { version } from "../version";

export function healthRoutes(deps: AppDeps) {
  const uptimeSeconds = () => Math.round((Date.now() - deps.startedAt) / 1000);

  return new Hono<AppEnv>()
    .get("/health", async (c) => {
      const { ready: _ready, ...backends } = await checkBackends(deps);
      return c.json({
        status: "API is running",
        version,
        uptimeSeconds: uptimeSeconds(),
        ...backends,
      });
    })
    .get("/health/live", (c) => c.json({ status: "ok" }))
    .get("/health/ready", async (c) => {
      const { ready, ...backends } = await checkBackends(deps);
      if (ready) return c.json({ status: "ready", ...backends });
      return c.json(
        {
          status: "not_ready",
          error: "A backend does not answer",
          code: "backend_unavailable",
          requestId: c.get("requestId"),
          ...backends,
        },
        503,
      );
    });
}
