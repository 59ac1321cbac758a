/**
 * Library surface of the operator: the ESO `external-secrets.io/v1` API types, the template engine and the pure
 * planner. Importing this module has no side effects.
 *
 * @example
 * ```ts
 * import { renderTemplate } from "./mod.ts";
 * renderTemplate("{{ .user }}:{{ .password | b64enc }}", { user: "jenkins", password: "s3cret" });
 * ```
 *
 * @module
 */
export type * from "./controller/api/types.ts";
export {
  clusterExternalSecrets,
  clusterSecretStores,
  externalSecrets,
  secretStores,
} from "./controller/api/resources.ts";
export * from "./controller/api/defaults.ts";
export { FORCE_SYNC_ANNOTATION, isRotationToken, rotationToken } from "./controller/api/force_sync.ts";
export {
  renderSecretTemplate,
  renderTemplate,
  TemplateError,
  type TemplateSources,
  type TemplateSpec,
} from "./controller/template/mod.ts";
export {
  failureOf,
  type Plan,
  planFailure,
  type PlannedEvent,
  planSync,
  type SecretWrite,
  type SyncInput,
  writeOf,
} from "./controller/reconcile/external_secret/plan.ts";
export {
  ANNOTATION_DATA_HASH,
  decideRefresh,
  isSecretValid,
  LABEL_CREATED_BY,
  LABEL_MANAGED,
  msUntilNextRefresh,
  parseGoDuration,
  type RefreshDecision,
  refreshIntervalMs,
  secretDataBytes,
  shouldRefresh,
  summarizeSecret,
  type TargetSecret,
} from "./controller/reconcile/refresh.ts";
export { dataHash, metaHash, syncedResourceVersion } from "./controller/reconcile/eso_hash.ts";
