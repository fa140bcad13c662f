import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import {
  AddressKind,
  AddressRules,
  checkHttpUrl,
  OUTBOUND_RULES,
  OutboundUrlError,
  refusedAddress,
  refusedAddressMessage,
} from '../net/outbound-url-policy';

/**
 * The policy for webhook URLs: the outbound URL policy (net/outbound-url-policy.ts) with the rules
 * of webhooks. Unlike stream sources (cameras on private networks are normal), a webhook goes to a
 * partner on the internet, so besides loopback and link-local (cloud metadata) the private ranges
 * are refused too: RFC 1918, CGNAT 100.64/10 and unique-local fc00::/7. The operator may allow
 * them (WEBHOOK_ALLOW_PRIVATE_URLS, for development and tests). The check runs on the addresses
 * the host resolves to, when the URL is saved and again on every connection (a name can resolve
 * differently later: DNS rebinding).
 */
export class WebhookUrlError extends Error {}

export type ForbiddenKind = AddressKind;

const LOOKUP_TIMEOUT_MS = 5_000;

export const webhookAddressRules = (allowPrivate: boolean): AddressRules =>
  OUTBOUND_RULES.webhook(allowPrivate);

/** Why a webhook may not be sent to this IP address (private URLs not allowed), or null when it may. */
export function forbiddenWebhookAddress(ip: string): ForbiddenKind | null {
  return refusedAddress(ip, webhookAddressRules(false));
}

export function forbiddenAddressMessage(kind: ForbiddenKind): string {
  // Reserved addresses stay refused whatever the operator allows.
  if (kind === 'reserved') return refusedAddressMessage(kind);
  return `${refusedAddressMessage(kind)} (the operator can allow it with WEBHOOK_ALLOW_PRIVATE_URLS)`;
}

function webhookUrlError(error: OutboundUrlError): WebhookUrlError {
  return new WebhookUrlError(error.refused ? forbiddenAddressMessage(error.refused) : error.message);
}

/**
 * Syntax and the host as written: http(s), a host, no credentials, no spaces or control
 * characters; an IP literal or a `localhost` name under the webhook rules.
 */
function checkWritten(raw: string, allowPrivate: boolean): { url: URL; host: string } {
  try {
    const checked = checkHttpUrl(raw, { addresses: webhookAddressRules(allowPrivate), allowQuery: true });
    checked.url.hash = '';
    return checked;
  } catch (error) {
    if (error instanceof OutboundUrlError) throw webhookUrlError(error);
    throw error;
  }
}

/** Syntax only: http(s), a host, no credentials, no spaces or control characters. */
export function parseWebhookUrl(raw: string): URL {
  return checkWritten(raw, true).url;
}

export type LookupAll = (host: string) => Promise<string[]>;

/** Every address a host name resolves to, through the system resolver (as connections use). */
export const systemLookup: LookupAll = (host) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('DNS lookup timed out')), LOOKUP_TIMEOUT_MS);
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(addresses.map((entry) => entry.address));
    });
  });

export interface WebhookUrlPolicy {
  allowPrivate: boolean;
  lookup?: LookupAll;
}

/**
 * The whole check at create/update time: syntax and the host as written, then the resolved
 * addresses (all of them must be allowed). Returns the normalised URL.
 */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): Promise<string> {
  const { url, host } = checkWritten(raw, policy.allowPrivate);
  if (isIP(host)) return url.toString();
  let addresses: string[];
  try {
    addresses = await (policy.lookup ?? systemLookup)(host);
  } catch {
    throw new WebhookUrlError('host does not resolve');
  }
  if (addresses.length === 0) throw new WebhookUrlError('host does not resolve');
  const rules = webhookAddressRules(policy.allowPrivate);
  for (const address of addresses) {
    const kind = refusedAddress(address, rules);
    if (kind) throw new WebhookUrlError(forbiddenAddressMessage(kind));
  }
  return url.toString();
}
