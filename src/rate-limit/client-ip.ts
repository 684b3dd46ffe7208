import type { Context } from "hono";
import { type Address, inSubnet, parseAddress, type Subnet } from "./address";

interface PeerSource {
  requestIP?(request: Request): { address: string } | null;
}

/** The address of the TCP peer, when the app runs under Bun.serve (not in-process calls). */
export function peerAddress(c: Context): Address | undefined {
  const env = c.env as PeerSource | undefined;
  const peer = typeof env?.requestIP === "function" ? env.requestIP(c.req.raw) : null;
  return peer ? parseAddress(peer.address) : undefined;
}

/**
 * The client behind a chain of trusted proxies. Each proxy appends the peer it saw, so the list
 * is read from the right and the first hop that is not a trusted proxy is the client; anything
 * further left was written by the client itself and proves nothing. An X-Forwarded-For from a
 * peer that is not a trusted proxy is ignored entirely.
 */
export function clientAddress(
  peer: Address | undefined,
  forwardedFor: string | undefined,
  trusted: readonly Subnet[],
): Address | undefined {
  const isTrusted = (address: Address) => trusted.some((subnet) => inSubnet(address, subnet));
  if (!peer || !forwardedFor || !isTrusted(peer)) return peer;

  let client = peer;
  const hops = forwardedFor.split(",").reverse();
  for (const hop of hops) {
    const address = parseAddress(hop);
    // A hop a trusted proxy could not have written: keep the last address that is vouched for.
    if (!address) return client;
    client = address;
    if (!isTrusted(address)) return client;
  }
  return client;
}
