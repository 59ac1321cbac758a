// Paging as Key Vault does it: at most `maxresults` (1–25, default 25) items per page and an absolute `nextLink`
// carrying an opaque `$skiptoken`. Our token encodes the last name returned, so a page boundary stays stable when
// objects are added or removed between pages.
import { base64UrlDecode, base64UrlEncode } from "./jwt.ts";

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 25;

export class PagingError extends Error {
  override name = "PagingError";
}

/** `maxresults` query value → page size; throws PagingError when it is not an integer in 1..25. */
export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === "") return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(raw)) throw new PagingError(`Invalid maxresults value '${raw}'`);
  const n = Number(raw);
  if (n < 1 || n > MAX_PAGE_SIZE) {
    throw new PagingError(`Invalid maxresults value '${raw}': must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return n;
}

export function encodeSkipToken(after: string): string {
  return base64UrlEncode(JSON.stringify({ NextMarker: after }));
}

/** Skip token → the cursor (last key of the previous page); throws PagingError when the token is not ours. */
export function decodeSkipToken(token: string): string {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(base64UrlDecode(token)));
    if (typeof v === "object" && v !== null && "NextMarker" in v && typeof v.NextMarker === "string") {
      return v.NextMarker;
    }
  } catch {
    // fall through
  }
  throw new PagingError(`Invalid $skiptoken '${token}'`);
}

export interface Page<T> {
  items: T[];
  /** Cursor for the next page; absent on the last page. */
  nextAfter?: string;
}

/** One page of `items` ordered by `keyOf`, starting after the key `after`. */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, size: number, after?: string): Page<T> {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((i) => keyOf(i) > after);
  const page = rest.slice(0, size);
  const last = page[page.length - 1];
  return rest.length > size && last !== undefined ? { items: page, nextAfter: keyOf(last) } : { items: page };
}

/** Absolute next-page URL as Key Vault writes it (api-version, $skiptoken and, when the client set it, maxresults). */
export function nextLinkFor(
  origin: string,
  path: string,
  apiVersion: string,
  after: string,
  maxResults: string | null,
): string {
  const q = new URLSearchParams({ "api-version": apiVersion, "$skiptoken": encodeSkipToken(after) });
  if (maxResults) q.set("maxresults", maxResults);
  return `${origin}${path}?${q.toString().replace("%24skiptoken", "$skiptoken")}`;
}
