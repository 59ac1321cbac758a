/**
 * Wire-format Kubernetes types.
 *
 * The object types of `@kubernetes/client-node` are imported as types only (no runtime cost). They model timestamps
 * as `Date` because that library revives them; our client hands back plain `JSON.parse` output, where timestamps
 * are RFC 3339 strings. {@linkcode Wire} maps every `Date` (and `MicroTime`, a `Date` subclass) in such a type to
 * `string`, so the types say what the bytes are.
 *
 * @module
 */

import type {
  AuthenticationV1TokenRequest,
  CoreV1Event,
  EventsV1Event,
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1Lease,
  V1Namespace,
  V1ObjectMeta,
  V1Secret,
  V1SelfSubjectAccessReview,
  V1SelfSubjectReview,
  V1ServiceAccount,
  V1Status,
} from "@kubernetes/client-node";

/** `T` as it is on the wire: every `Date` becomes an RFC 3339 `string`; everything else is kept. */
export type Wire<T> = T extends Date ? string
  : T extends string | number | boolean | null | undefined ? T
  : T extends ReadonlyArray<infer U> ? Wire<U>[]
  : { [K in keyof T]: Wire<T[K]> };

/** Object metadata with string timestamps (`creationTimestamp`, `deletionTimestamp`, `managedFields[].time`). */
export type ObjectMeta = Wire<V1ObjectMeta>;

/**
 * The metadata fields the client itself reads. Deliberately loose, so any object type whose metadata has these
 * (ours, `controller/api`'s, client-node's after {@linkcode Wire}) fits.
 */
export interface MinimalObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  finalizers?: string[];
  managedFields?: unknown;
}

/** The fields every Kubernetes object has; `spec`/`status`/anything else is left to the concrete type. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: MinimalObjectMeta;
}

/** List metadata (`resourceVersion` to watch from, `continue` for the next page). */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A LIST response. */
export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** `meta.k8s.io/v1` Status, as the apiserver returns it for errors and some deletes. */
export type Status = Wire<V1Status>;

/** A raw watch event as the apiserver streams it (one JSON object per line). */
export type WatchEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  | { type: "BOOKMARK"; object: KubeObject }
  | { type: "ERROR"; object: Status };

/** core/v1 Secret. */
export type Secret = Wire<V1Secret>;
/** core/v1 ServiceAccount. */
export type ServiceAccount = Wire<V1ServiceAccount>;
/** core/v1 ConfigMap. */
export type ConfigMap = Wire<V1ConfigMap>;
/** authentication.k8s.io/v1 TokenRequest (the `token` subresource of a ServiceAccount). */
export type TokenRequest = Wire<AuthenticationV1TokenRequest>;
/** core/v1 Namespace. */
export type Namespace = Wire<V1Namespace>;
/** core/v1 Event. */
export type CoreEvent = Wire<CoreV1Event>;
/** events.k8s.io/v1 Event. */
export type Event = Wire<EventsV1Event>;
/** coordination.k8s.io/v1 Lease (`acquireTime`/`renewTime` are MicroTime strings). */
export type Lease = Wire<V1Lease>;
/** authorization.k8s.io/v1 SelfSubjectAccessReview. */
export type SelfSubjectAccessReview = Wire<V1SelfSubjectAccessReview>;
/** authentication.k8s.io/v1 SelfSubjectReview ("who am I"). */
export type SelfSubjectReview = Wire<V1SelfSubjectReview>;
/** apiextensions.k8s.io/v1 CustomResourceDefinition. */
export type CustomResourceDefinition = Wire<V1CustomResourceDefinition>;

/**
 * An object of a custom resource whose schema this module does not know (the ESO kinds: their real types live in
 * `controller/api/`; narrow with {@linkcode resourceType}).
 */
export interface UntypedObject extends KubeObject {
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}
