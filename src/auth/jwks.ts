import type { HonoJsonWebKey } from "hono/utils/jwt/jws";

const freshForMs = 5 * 60_000;
/** An unknown key id triggers a refetch (key rotation), but not more often than this. */
const refetchAfterMs = 30_000;

/** Keys of an external identity provider, fetched on demand and kept for a few minutes. */
export function jwksCache(url: string, fetchTimeoutMs = 3_000) {
  let keys: HonoJsonWebKey[] = [];
  let fetchedAt = 0;
  let pending: Promise<void> | undefined;

  const refresh = () => {
    pending ??= (async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
        const body = (await res.json()) as { keys?: HonoJsonWebKey[] };
        if (!Array.isArray(body.keys)) throw new Error("JWKS has no keys array");
        keys = body.keys;
        fetchedAt = Date.now();
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  return async (kid: string | undefined): Promise<HonoJsonWebKey[]> => {
    const age = Date.now() - fetchedAt;
    const known = kid === undefined || keys.some((key) => key.kid === kid);
    if (age > freshForMs || (!known && age > refetchAfterMs)) await refresh();
    return keys;
  };
}
