import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import type { JWTPayload } from "hono/utils/jwt/types";
import { appOnRealBackends } from "../support/app";
import { tokenFor } from "../support/identity";
import { testConfig } from "../support/stack";

type Live = Awaited<ReturnType<typeof appOnRealBackends>>;

/** A key pair the test makes, its public half published with a key id. */
async function keyPair(alg: "RS256" | "ES256", kid: string) {
  const params =
    alg === "RS256"
      ? {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicJwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const privateJwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return {
    publicJwk: { ...publicJwk, kid, alg, use: "sig" },
    // hono puts `kid` in the header only for a key that names its `alg`.
    sign: (payload: JWTPayload) =>
      sign(payload, { ...privateJwk, kid, alg } as HonoJsonWebKey, alg),
  };
}

describe("tokens from an external identity provider (JWKS)", () => {
  let live: Live;
  let jwks: ReturnType<typeof Bun.serve>;
  let rsa: Awaited<ReturnType<typeof keyPair>>;
  let ec: Awaited<ReturnType<typeof keyPair>>;
  let stranger: Awaited<ReturnType<typeof keyPair>>;
  let config: ReturnType<typeof testConfig>;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: "https://idp.test",
    aud: "auterity-api",
    sub: "dana",
    groups: "user",
    iat: now(),
    exp: now() + 300,
    ...extra,
  });

  beforeAll(async () => {
    rsa = await keyPair("RS256", "rsa-1");
    ec = await keyPair("ES256", "ec-1");
    stranger = await keyPair("RS256", "rsa-1");
    const document = { keys: [rsa.publicJwk, ec.publicJwk] };
    jwks = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json(document) });
    config = testConfig({
      JWKS_URL: `http://127.0.0.1:${jwks.port}/.well-known/jwks.json`,
      JWKS_ISSUER: "https://idp.test",
      JWKS_AUDIENCE: "auterity-api",
      JWKS_ROLE_CLAIM: "groups",
    });
    live = await appOnRealBackends(config);
  });
  afterAll(async () => {
    await live.close();
    jwks.stop(true);
  });

  // clear-cache is admin only: 403 proves the token was accepted and its role read.
  const statusWith = async (token: string, path = "/api/clickhouse/clear-cache") => {
    const res = await live.app.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    return res.status;
  };

  test("RS256 and ES256 tokens signed by published keys are accepted with their role", async () => {
    expect(await statusWith(await rsa.sign(claims()))).toBe(403);
    expect(await statusWith(await ec.sign(claims()))).toBe(403);
    expect(await statusWith(await rsa.sign(claims({ groups: ["viewer", "admin"] })))).not.toBeOneOf(
      [401, 403],
    );
  });

  test("the API's own HS256 tokens keep working beside them", async () => {
    expect(await statusWith(await tokenFor(config, "user"))).toBe(403);
  });

  test("a wrong issuer, a wrong audience, an unknown key or no role is a 401", async () => {
    expect(await statusWith(await rsa.sign(claims({ iss: "https://evil.test" })))).toBe(401);
    expect(await statusWith(await rsa.sign(claims({ aud: "someone-else" })))).toBe(401);
    expect(await statusWith(await stranger.sign(claims()))).toBe(401);
    expect(await statusWith(await rsa.sign(claims({ groups: "viewer" })))).toBe(401);
    expect(await statusWith(await rsa.sign(claims({ exp: now() - 10 })))).toBe(401);
  });

  test("without JWKS_URL an RS256 token is refused", async () => {
    const plain = await appOnRealBackends(testConfig());
    try {
      const res = await plain.app.request("/api/clickhouse/clear-cache", {
        method: "POST",
        headers: { authorization: `Bearer ${await rsa.sign(claims())}` },
      });
      expect(res.status).toBe(401);
    } finally {
      await plain.close();
    }
  });
});
