/**
 * Expiry awareness (beyond ESO, whose users asked for it in ESO#2548): Key Vault knows when each secret version
 * expires (`exp`); the read stage brings that along with the value at no extra cost, and this pure step turns it
 * into status (per source: version and expiry; the earliest expiry of all), a Warning Event `SourceExpiring` once
 * per version when its expiry comes within the warning threshold (the seed's "in 30 days the credential is going to
 * expire"), `SourceExpired` once it has passed, and a note for the Ready message. Expired values still sync, as ESO
 * syncs them (Key Vault serves them). Events name the key, the version and the date — never a value.
 *
 * @module
 */
import type { ExternalSecretSourceStatus, ExternalSecretStatus } from "../../api/types.ts";
import { kubeTime } from "../conditions.ts";
import type { PlannedEvent } from "./plan.ts";
import type { SourceInfo } from "./read.ts";

/** The default warning threshold: 30 days. */
export const DEFAULT_EXPIRY_WARNING_MS = 30 * 24 * 3_600_000;

/** The expiry part of a sync: status fields, Events, and a note for the Ready message. */
export interface ExpiryPlan {
  sources: ExternalSecretSourceStatus[];
  expiresAt?: string;
  events: PlannedEvent[];
  /** "source docker-config-json expired at ..." when a source synced is past its expiry. */
  note?: string;
}

function days(ms: number): string {
  const d = ms / 86_400_000;
  return d >= 1 ? `in ${Math.floor(d)} days` : `in ${Math.max(1, Math.round(ms / 3_600_000))} hours`;
}

/**
 * Plans the expiry status and Events for the sources just read. `before` is the status as it was: an Event is
 * recorded only when a version's classification changes (so once per version and state, across restarts too).
 */
export function planExpiry(
  sources: readonly SourceInfo[],
  before: ExternalSecretStatus | undefined,
  now: Date,
  warningMs: number = DEFAULT_EXPIRY_WARNING_MS,
): ExpiryPlan {
  const out: ExpiryPlan = { sources: [], events: [] };
  const expired: string[] = [];
  let earliest: number | undefined;
  const seen = new Set<string>();
  for (const s of sources) {
    if (seen.has(`${s.remoteKey}@${s.version ?? ""}`)) continue;
    seen.add(`${s.remoteKey}@${s.version ?? ""}`);
    const exp = s.expiresAt?.getTime();
    const expiry = exp === undefined
      ? undefined
      : exp <= now.getTime()
      ? "Expired"
      : exp - now.getTime() <= warningMs
      ? "Expiring"
      : undefined;
    const entry: ExternalSecretSourceStatus = {
      key: s.remoteKey,
      ...(s.version ? { version: s.version } : {}),
      ...(s.expiresAt ? { expiresAt: kubeTime(s.expiresAt) } : {}),
      ...(s.notBefore ? { notBefore: kubeTime(s.notBefore) } : {}),
      ...(expiry ? { expiry } : {}),
    };
    out.sources.push(entry);
    if (exp !== undefined) earliest = earliest === undefined ? exp : Math.min(earliest, exp);
    const prev = before?.sources?.find((p) => p.key === s.remoteKey && (p.version ?? "") === (s.version ?? ""));
    const version = s.version ? ` version ${s.version}` : "";
    if (expiry === "Expired") expired.push(`${s.remoteKey} expired at ${entry.expiresAt}`);
    if (!expiry || prev?.expiry === expiry) continue;
    out.events.push(
      expiry === "Expiring"
        ? {
          type: "Warning",
          reason: "SourceExpiring",
          message: `secret "${s.remoteKey}"${version} expires at ${entry.expiresAt} (${days(exp! - now.getTime())})`,
        }
        : {
          type: "Warning",
          reason: "SourceExpired",
          message: `secret "${s.remoteKey}"${version} expired at ${entry.expiresAt}; it is still synced`,
        },
    );
  }
  if (earliest !== undefined) out.expiresAt = kubeTime(new Date(earliest));
  if (expired.length) out.note = `source ${expired.join(", ")} (still synced, as Key Vault serves it)`;
  return out;
}
