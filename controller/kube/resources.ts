/**
 * Resource descriptors (`{group, version, plural, kind, namespaced}`) and the REST paths built from them, plus the
 * registry of the resources this project uses.
 *
 * @module
 */

import type {
  ConfigMap,
  CoreEvent,
  CustomResourceDefinition,
  Event,
  KubeObject,
  Lease,
  Namespace,
  Secret,
  SelfSubjectAccessReview,
  SelfSubjectReview,
  ServiceAccount,
} from "./types.ts";

/**
 * Describes one REST resource. `T` is the object type the typed client methods take and return (phantom: it
 * exists only for the compiler).
 */
export interface ResourceType<T extends KubeObject = KubeObject> {
  /** API group; `""` for the core group (`/api/v1`). */
  readonly group: string;
  readonly version: string;
  /** Plural resource name, the path segment: `secrets`, `externalsecrets`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Phantom field carrying `T`; never set. */
  readonly __object?: T;
}

/** Declares a resource type; `T` is the object type the client methods will use. */
export function resourceType<T extends KubeObject>(
  spec: { group: string; version: string; plural: string; kind: string; namespaced: boolean },
): ResourceType<T> {
  return Object.freeze({ ...spec });
}

/** `group/version`, or just `version` for the core group (the `apiVersion` of objects). */
export function apiVersionOf(res: ResourceType<KubeObject>): string {
  return res.group === "" ? res.version : `${res.group}/${res.version}`;
}

/** Options of {@linkcode resourcePath}. */
export interface PathOptions {
  /** Namespace; omitted for cluster-scoped resources and for "all namespaces" lists/watches. */
  namespace?: string | undefined;
  name?: string | undefined;
  /** Subresource, e.g. `status`, `token`, `scale` (needs `name`). */
  subresource?: string | undefined;
}

/**
 * The REST path: `/api/v1/namespaces/ns/secrets/name`, `/apis/external-secrets.io/v1/clustersecretstores/x/status`.
 * Segments are URI-encoded. A namespace given for a cluster-scoped resource is an error, as is a subresource
 * without a name.
 */
export function resourcePath(res: ResourceType<KubeObject>, options: PathOptions = {}): string {
  const seg = (s: string, what: string): string => {
    if (s === "" || s === "." || s === ".." || s.includes("/")) {
      throw new RangeError(`Cannot build path for ${res.plural}: ${what} "${s}" is not a valid path segment`);
    }
    return encodeURIComponent(s);
  };
  let p = res.group === "" ? `/api/${res.version}` : `/apis/${res.group}/${res.version}`;
  if (options.namespace !== undefined) {
    if (!res.namespaced) {
      throw new RangeError(`Cannot build path for ${res.plural}: it is cluster-scoped but namespace was given`);
    }
    p += `/namespaces/${seg(options.namespace, "namespace")}`;
  }
  p += `/${res.plural}`;
  if (options.name !== undefined) p += `/${seg(options.name, "name")}`;
  if (options.subresource !== undefined) {
    if (options.name === undefined) {
      throw new RangeError(`Cannot build path for ${res.plural}: subresource "${options.subresource}" needs a name`);
    }
    p += `/${seg(options.subresource, "subresource")}`;
  }
  return p;
}

// ---- registry -------------------------------------------------------------------------------------------------

/** core/v1 Secrets. */
export const secrets: ResourceType<Secret> = resourceType<Secret>({
  group: "",
  version: "v1",
  plural: "secrets",
  kind: "Secret",
  namespaced: true,
});
/** core/v1 ConfigMaps (templates named by an ExternalSecret's `templateFrom`). */
export const configMaps: ResourceType<ConfigMap> = resourceType<ConfigMap>({
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
});
/** core/v1 ServiceAccounts (TokenRequest: {@linkcode KubeClient.createSubresource} with `token`). */
export const serviceAccounts: ResourceType<ServiceAccount> = resourceType<ServiceAccount>({
  group: "",
  version: "v1",
  plural: "serviceaccounts",
  kind: "ServiceAccount",
  namespaced: true,
});
/** core/v1 Namespaces. */
export const namespaces: ResourceType<Namespace> = resourceType<Namespace>({
  group: "",
  version: "v1",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false,
});
/** core/v1 Events (what `kubectl describe` shows). */
export const coreEvents: ResourceType<CoreEvent> = resourceType<CoreEvent>({
  group: "",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
});
/** events.k8s.io/v1 Events (what client-go's new recorder writes). */
export const events: ResourceType<Event> = resourceType<Event>({
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
});
/** coordination.k8s.io/v1 Leases (leader election). */
export const leases: ResourceType<Lease> = resourceType<Lease>({
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
});
/** authorization.k8s.io/v1 SelfSubjectAccessReviews ("can I?"; create only). */
export const selfSubjectAccessReviews: ResourceType<SelfSubjectAccessReview> = resourceType<SelfSubjectAccessReview>({
  group: "authorization.k8s.io",
  version: "v1",
  plural: "selfsubjectaccessreviews",
  kind: "SelfSubjectAccessReview",
  namespaced: false,
});
/** authentication.k8s.io/v1 SelfSubjectReviews ("who am I?"; create only). */
export const selfSubjectReviews: ResourceType<SelfSubjectReview> = resourceType<SelfSubjectReview>({
  group: "authentication.k8s.io",
  version: "v1",
  plural: "selfsubjectreviews",
  kind: "SelfSubjectReview",
  namespaced: false,
});
/** apiextensions.k8s.io/v1 CustomResourceDefinitions (to check that the ESO CRDs are installed). */
export const customResourceDefinitions: ResourceType<CustomResourceDefinition> = resourceType<
  CustomResourceDefinition
>({
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
});
