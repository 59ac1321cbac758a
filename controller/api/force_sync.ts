/**
 * ESO's force-sync annotation, and the rotation form of its value that `kubectl externalsecret vault set --sync`
 * writes: `<time>.rotation.<vault version>`. ESO compares the value only for change; this controller also reads
 * the rotation form, so that every ExternalSecret force-synced by one rotation can share one vault read.
 *
 * Why it is safe: the plugin sets the annotation only after the vault write, so any read that starts after the
 * controller first saw a rotation's value sees the new version. A tenant copying a value only lowers the freshness
 * its own ExternalSecret asks for, never below its last refresh.
 *
 * @module
 */

/** ESO's annotation: any change of its value forces a refresh. */
export const FORCE_SYNC_ANNOTATION = "external-secrets.io/force-sync";

const ROTATION = /^\d{1,20}\.rotation\.[A-Za-z0-9-]{1,64}$/;

/** The annotation value for a rotation that wrote `version` at `nowMs`. */
export function rotationToken(version: string, nowMs: number = Date.now()): string {
  const id = /^[A-Za-z0-9-]{1,64}$/.test(version) ? version : crypto.randomUUID();
  return `${Math.floor(nowMs)}.rotation.${id}`;
}

/** Whether an annotation value is a rotation token (a plain ESO value is not). */
export function isRotationToken(value: string | undefined): value is string {
  return value !== undefined && ROTATION.test(value);
}
