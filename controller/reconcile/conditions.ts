/**
 * Status conditions with Kubernetes semantics: `lastTransitionTime` moves only when `status` changes, so a
 * condition's age says how long it has been true or false.
 *
 * @module
 */
import type { Condition } from "../api/types.ts";

/** ESO's condition reasons for ExternalSecrets and stores. */
export const Reason = {
  SecretSynced: "SecretSynced",
  SecretSyncedError: "SecretSyncedError",
  SecretDeleted: "SecretDeleted",
  SecretMissing: "SecretMissing",
  StoreValid: "Valid",
  StoreInvalidProviderConfig: "InvalidProviderConfig",
  StoreValidationUnknown: "ValidationUnknown",
  StoreInvalidConfiguration: "InvalidStoreConfiguration",
} as const;

/** Returns `conditions` with `next` set (replacing the one of the same type). */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: { type: string; status: "True" | "False" | "Unknown"; reason: string; message: string },
  now: Date,
): Condition[] {
  const prev = conditions?.find((c) => c.type === next.type);
  const lastTransitionTime = prev && prev.status === next.status && prev.lastTransitionTime
    ? prev.lastTransitionTime
    : now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return [...(conditions ?? []).filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}

/**
 * `status` with every condition that changed against `before` stamped at `at`: a transition's time is when the
 * change took effect (the write that made the ExternalSecret Ready), which is known only after the write.
 */
export function stampTransitions<S extends { conditions?: Condition[] }>(
  before: readonly Condition[] | undefined,
  status: S,
  at: Date,
): S {
  if (!status.conditions) return status;
  const conditions = status.conditions.map((c) => {
    const prev = before?.find((p) => p.type === c.type);
    return prev && prev.status === c.status ? c : { ...c, lastTransitionTime: kubeTime(at) };
  });
  return { ...status, conditions };
}

/** The condition of a type, if any. */
export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Kubernetes timestamps have second precision (RFC 3339 without fractions). */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
