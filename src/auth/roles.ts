export const roles = ["admin", "user", "ingest"] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}

/**
 * Who may call each protected route, keyed by "METHOD /route/template". One table, so the README,
 * the OpenAPI document and the generated refusal tests all read the same rules. A route under
 * /api that is missing here is refused to everyone.
 */
export const routeRoles: Record<string, readonly Role[]> = {
  "GET /api/clickhouse/query": ["admin", "user"],
  "POST /api/clickhouse/query": ["admin", "user"],
  "POST /api/clickhouse/clear-cache": ["admin"],
  "POST /api/kafka/produce": ["admin", "ingest"],
  "POST /api/events": ["admin", "ingest"],
};
