import { sign, verify, verifyWithJwks } from "hono/jwt";
import { decodeHeader } from "hono/utils/jwt/jwt";
import type { JWTPayload } from "hono/utils/jwt/types";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { jwksCache } from "./jwks";
import { isRole, type Role, roles } from "./roles";
import type { User } from "./users";

export interface Identity {
  name: string;
  role: Role;
}

export interface IssuedToken {
  token: string;
  tokenType: "Bearer";
  expiresIn: number;
}

const externalAlgorithms = ["RS256", "ES256"] as const;

export function unauthorized(message: string, cause?: unknown): ApiError {
  return new ApiError("unauthorized", message, {
    cause,
    headers: { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${message}"` },
  });
}

/** hono's JWT errors, in words a client can act on; their messages are not shown as they are. */
function reason(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "JwtTokenExpired") return "Token expired";
  if (name === "JwtTokenNotBefore") return "Token not yet valid";
  if (name === "JwtTokenIssuedAt") return "Token issued in the future";
  if (name === "JwtTokenIssuer" || name === "JwtTokenAudience")
    return "Token not meant for this API";
  if (name === "JwtTokenSignatureMismatched") return "Invalid token signature";
  return "Invalid token";
}

/** An external provider may send the role as a string or a list; the most privileged one wins. */
function roleFrom(claim: unknown): Role | undefined {
  const values = Array.isArray(claim) ? claim : [claim];
  return roles.find((role) => values.includes(role));
}

/**
 * Tokens that passed every check, kept until they expire. A client sends the same token on every
 * request; checking its signature once instead of each time takes the HMAC (or RSA/ECDSA) work
 * off the hot path. Bounded: past `capacity`, the oldest entry goes.
 */
function verifiedTokens(capacity = 10_000) {
  const entries = new Map<string, { identity: Identity; expiresAt: number }>();
  return {
    get(token: string): Identity | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.expiresAt > Date.now()) return entry.identity;
      entries.delete(token);
      return undefined;
    },
    set(token: string, identity: Identity, expiresAt: number) {
      if (entries.size >= capacity) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(token, { identity, expiresAt });
    },
  };
}

export function tokenService(config: Config["auth"]) {
  const jwks = config.jwks ? jwksCache(config.jwks.url) : undefined;

  const issue = async (user: User): Promise<IssuedToken> => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      sub: user.username,
      role: user.role,
      iat: now,
      nbf: now,
      exp: now + config.expiresInSeconds,
      jti: crypto.randomUUID(),
    };
    if (config.issuer) payload.iss = config.issuer;
    if (config.audience) payload.aud = config.audience;
    const token = await sign(payload, config.secret, "HS256");
    return { token, tokenType: "Bearer", expiresIn: config.expiresInSeconds };
  };

  const verifyPayload = async (token: string): Promise<{ payload: JWTPayload; role: unknown }> => {
    const { alg, kid } = decodeHeader(token);
    if (alg === "HS256") {
      const payload = await verify(token, config.secret, {
        alg: "HS256",
        ...(config.issuer ? { iss: config.issuer } : {}),
        ...(config.audience ? { aud: config.audience } : {}),
      });
      return { payload, role: payload.role };
    }
    if (jwks && config.jwks && (externalAlgorithms as readonly string[]).includes(alg)) {
      const payload = await verifyWithJwks(token, {
        keys: await jwks(kid),
        allowedAlgorithms: externalAlgorithms,
        verification: { iss: config.jwks.issuer, aud: config.jwks.audience },
      });
      return { payload, role: roleFrom(payload[config.jwks.roleClaim]) };
    }
    throw unauthorized("Token algorithm not accepted");
  };

  const verified = verifiedTokens();

  const verifyToken = async (token: string): Promise<Identity> => {
    const known = verified.get(token);
    if (known) return known;

    let checked: { payload: JWTPayload; role: unknown };
    try {
      checked = await verifyPayload(token);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw unauthorized(reason(error), error);
    }
    const { payload, role } = checked;
    // hono checks exp only when present; a token that never expires is not accepted here.
    if (typeof payload.exp !== "number") throw unauthorized("Token has no expiry");
    if (typeof payload.sub !== "string" || payload.sub === "")
      throw unauthorized("Token has no subject");
    if (!isRole(role)) throw unauthorized("Token has no known role");
    const identity: Identity = { name: payload.sub, role };
    verified.set(token, identity, payload.exp * 1000);
    return identity;
  };

  return {
    issue,
    verify: verifyToken,
    /** The identity of a token that passed every check before and has not expired, at once. */
    known: (token: string): Identity | undefined => verified.get(token),
  };
}

export type TokenService = ReturnType<typeof tokenService>;
