/**
 * Helpers over the authentication/authorization APIs the controller and plugin use: TokenRequest (a short-lived,
 * audience-bound ServiceAccount token, e.g. for workload identity federation), "who am I" and "can I".
 *
 * @module
 */

import type { KubeClient } from "./client.ts";
import { selfSubjectAccessReviews, selfSubjectReviews, serviceAccounts } from "./resources.ts";
import type { TokenRequest } from "./types.ts";

/** Options of {@linkcode requestServiceAccountToken}. */
export interface TokenRequestOptions {
  /** Audiences the token is valid for (e.g. `api://AzureADTokenExchange`). @default the apiserver's issuer */
  audiences?: string[];
  /** Requested lifetime; the apiserver may shorten it (minimum 600). @default {3600} */
  expirationSeconds?: number;
  /** Bind the token to an object's lifetime (a Pod or Secret). */
  boundObjectRef?: { apiVersion?: string; kind: string; name: string; uid?: string };
  signal?: AbortSignal;
}

/** A token from the TokenRequest API, with its expiry as epoch ms. */
export interface ServiceAccountToken {
  token: string;
  expiresAt: number;
}

/** POSTs a TokenRequest to `serviceaccounts/<name>/token` in `namespace`. Needs `create` on `serviceaccounts/token`. */
export async function requestServiceAccountToken(
  client: KubeClient,
  namespace: string,
  name: string,
  options: TokenRequestOptions = {},
): Promise<ServiceAccountToken> {
  const spec: Record<string, unknown> = { expirationSeconds: options.expirationSeconds ?? 3600 };
  if (options.audiences) spec["audiences"] = options.audiences;
  if (options.boundObjectRef) spec["boundObjectRef"] = options.boundObjectRef;
  const out = await client.createSubresource<unknown, TokenRequest>(
    serviceAccounts,
    name,
    "token",
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec },
    options.signal ? { namespace, signal: options.signal } : { namespace },
  );
  const token = out.status?.token;
  const exp = Date.parse(out.status?.expirationTimestamp ?? "");
  if (!token || Number.isNaN(exp)) {
    throw new TypeError(
      `Cannot use TokenRequest for serviceaccount "${name}" in namespace "${namespace}": no token in status`,
    );
  }
  return { token, expiresAt: exp };
}

/** Who the apiserver thinks we are. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Asks the apiserver who the client's credentials belong to (SelfSubjectReview, GA since 1.28). */
export async function whoAmI(client: KubeClient, signal?: AbortSignal): Promise<UserInfo> {
  const out = await client.create(
    selfSubjectReviews,
    { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    signal ? { signal } : {},
  );
  const u = out.status?.userInfo ?? {};
  const info: UserInfo = { username: u.username ?? "", groups: u.groups ?? [] };
  if (u.uid) info.uid = u.uid;
  if (u.extra) info.extra = u.extra;
  return info;
}

/** What {@linkcode canI} asks about. */
export interface AccessQuestion {
  verb: string;
  resource: string;
  group?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Whether the client may do `verb` on `resource` (SelfSubjectAccessReview), with the authorizer's reason. */
export async function canI(
  client: KubeClient,
  q: AccessQuestion,
  signal?: AbortSignal,
): Promise<{ allowed: boolean; reason: string }> {
  const resourceAttributes: Record<string, string> = { verb: q.verb, resource: q.resource, group: q.group ?? "" };
  if (q.namespace) resourceAttributes["namespace"] = q.namespace;
  if (q.name) resourceAttributes["name"] = q.name;
  if (q.subresource) resourceAttributes["subresource"] = q.subresource;
  const out = await client.create(
    selfSubjectAccessReviews,
    { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes } },
    signal ? { signal } : {},
  );
  return { allowed: out.status?.allowed === true, reason: out.status?.reason ?? "" };
}
