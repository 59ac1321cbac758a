// Who may get a token, and what each identity may do in which vault. App registrations hold client secrets,
// certificates and federated credentials (one client id can have all three, as in Entra); managed identities are
// answered by IMDS.
import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { certificateThumbprints, generateCertificateSync } from "./x509.ts";

/** What an identity may do in a vault: "read" = get and list; "write" = everything. */
export type Access = "read" | "write" | "none";
/** Per vault name; the key "*" covers every vault not named. */
export type VaultAccess = Record<string, Access>;

/** Default when an identity is registered without `vaults`: full access everywhere, the convenient test default. */
export const DEFAULT_ACCESS: VaultAccess = { "*": "write" };
export const DEFAULT_FEDERATED_AUDIENCE = "api://AzureADTokenExchange";

export interface FederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
  /** Keys the assertion's signature must verify with; empty = the signature is not checked. */
  keys: { kid?: string; key: KeyObject }[];
}

export interface RegisteredCertificate {
  certPem: string;
  publicKey: KeyObject;
  sha1Hex: string;
  sha256Hex: string;
}

export interface AppRegistration {
  clientId: string;
  tenantId: string;
  objectId: string;
  secrets: Set<string>;
  certificates: RegisteredCertificate[];
  federated: FederatedCredential[];
  vaults: VaultAccess;
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  resourceId: string;
  /** The system-assigned identity: answers requests that name no identity. */
  isDefault: boolean;
  vaults: VaultAccess;
}

export interface ClientSecretAppOptions {
  clientId: string;
  secret: string;
  tenantId?: string;
  vaults?: VaultAccess;
}

export interface ClientCertificateAppOptions {
  clientId: string;
  tenantId?: string;
  vaults?: VaultAccess;
  /** Register this certificate (PEM) instead of generating one; `keyPem` in the result is then null. */
  certPem?: string;
  /** Subject of the generated certificate; default "CN=<clientId>". */
  subject?: string;
}

export interface ClientCertificate {
  certPem: string;
  keyPem: string | null;
  /** Private key + certificate in one PEM text, the form `ClientCertificateCredential({ certificate })` takes. */
  pem: string;
  thumbprintSha1: string;
  thumbprintSha256: string;
}

export interface FederatedIdentityOptions {
  clientId: string;
  /** `iss` of the assertion, e.g. the kube-apiserver's --service-account-issuer. */
  issuer: string;
  /** `sub` of the assertion, e.g. "system:serviceaccount:<namespace>:<name>". */
  subject: string;
  /** Default "api://AzureADTokenExchange". */
  audience?: string;
  tenantId?: string;
  vaults?: VaultAccess;
  /** Verify the assertion's signature with this public key (PEM: SPKI, PKCS#1 or a certificate), e.g. sa.pub. */
  issuerPublicKeyPem?: string;
  /** ... or with these keys (the issuer's JWKS, e.g. from /openid/v1/jwks). */
  issuerJwks?: { keys: JsonWebKey[] };
}

export interface ManagedIdentityOptions {
  clientId: string;
  objectId?: string;
  /** ARM id; default /subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/... */
  resourceId?: string;
  /** Make this the system-assigned identity (used when a request names none). */
  default?: boolean;
  vaults?: VaultAccess;
}

export class RegistryError extends Error {
  override name = "RegistryError";
}

function accessFrom(vaults: Record<string, Access> | undefined): VaultAccess {
  return vaults ? { ...vaults } : { ...DEFAULT_ACCESS };
}

export class IdentityRegistry {
  readonly apps = new Map<string, AppRegistration>();
  readonly managed = new Map<string, ManagedIdentity>();

  constructor(readonly defaultTenantId: string) {}

  #app(clientId: string, tenantId: string | undefined, vaults: VaultAccess | undefined): AppRegistration {
    const tenant = tenantId ?? this.defaultTenantId;
    let app = this.apps.get(clientId);
    if (app && app.tenantId !== tenant) {
      throw new RegistryError(`client ${clientId} is already registered in tenant ${app.tenantId}`);
    }
    if (!app) {
      if (this.managed.has(clientId)) throw new RegistryError(`client ${clientId} is a managed identity`);
      app = {
        clientId,
        tenantId: tenant,
        objectId: crypto.randomUUID(),
        secrets: new Set(),
        certificates: [],
        federated: [],
        vaults: accessFrom(vaults),
      };
      this.apps.set(clientId, app);
    } else if (vaults) {
      app.vaults = accessFrom(vaults);
    }
    return app;
  }

  addClientSecretApp(o: ClientSecretAppOptions): void {
    if (!o.clientId || !o.secret) throw new RegistryError("clientId and secret are required");
    this.#app(o.clientId, o.tenantId, o.vaults).secrets.add(o.secret);
  }

  addClientCertificateApp(o: ClientCertificateAppOptions): ClientCertificate {
    if (!o.clientId) throw new RegistryError("clientId is required");
    const generated = o.certPem === undefined
      ? generateCertificateSync({ subject: o.subject ?? `CN=${o.clientId}` })
      : undefined;
    const certPem = generated?.certPem ?? o.certPem ?? "";
    const thumbprints = certificateThumbprints(certPem);
    this.#app(o.clientId, o.tenantId, o.vaults).certificates.push({
      certPem,
      publicKey: createPublicKey(certPem),
      sha1Hex: thumbprints.sha1Hex,
      sha256Hex: thumbprints.sha256Hex,
    });
    const keyPem = generated?.keyPem ?? null;
    return {
      certPem,
      keyPem,
      pem: `${keyPem ?? ""}${certPem}`,
      thumbprintSha1: thumbprints.sha1Hex,
      thumbprintSha256: thumbprints.sha256Hex,
    };
  }

  addFederatedIdentity(o: FederatedIdentityOptions): void {
    if (!o.clientId || !o.issuer || !o.subject) throw new RegistryError("clientId, issuer and subject are required");
    const keys: FederatedCredential["keys"] = [];
    if (o.issuerPublicKeyPem) keys.push({ key: createPublicKey(o.issuerPublicKeyPem) });
    for (const jwk of o.issuerJwks?.keys ?? []) {
      const kid = typeof jwk.kid === "string" ? jwk.kid : undefined;
      keys.push({ ...(kid ? { kid } : {}), key: createPublicKey({ key: jwk, format: "jwk" }) });
    }
    this.#app(o.clientId, o.tenantId, o.vaults).federated.push({
      issuer: o.issuer,
      subject: o.subject,
      audiences: [o.audience ?? DEFAULT_FEDERATED_AUDIENCE],
      keys,
    });
  }

  addManagedIdentity(o: ManagedIdentityOptions): ManagedIdentity {
    if (!o.clientId) throw new RegistryError("clientId is required");
    if (this.apps.has(o.clientId)) throw new RegistryError(`client ${o.clientId} is an app registration`);
    if (o.default) { for (const mi of this.managed.values()) mi.isDefault = false; }
    const mi: ManagedIdentity = {
      clientId: o.clientId,
      objectId: o.objectId ?? crypto.randomUUID(),
      resourceId: o.resourceId ??
        `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/` +
          `Microsoft.ManagedIdentity/userAssignedIdentities/${o.clientId}`,
      isDefault: o.default ?? false,
      vaults: accessFrom(o.vaults),
    };
    this.managed.set(o.clientId, mi);
    return mi;
  }

  /** The managed identity a request names by client id, object id or resource id; the default one if it names none. */
  findManaged(
    sel: { clientId?: string | null; objectId?: string | null; resourceId?: string | null },
  ): ManagedIdentity | undefined {
    const all = [...this.managed.values()];
    if (sel.clientId) return this.managed.get(sel.clientId);
    if (sel.objectId) return all.find((m) => m.objectId === sel.objectId);
    if (sel.resourceId) return all.find((m) => m.resourceId.toLowerCase() === sel.resourceId?.toLowerCase());
    return all.find((m) => m.isDefault);
  }

  /** Sets one identity's access to one vault ("*" for all vaults not named). */
  grant(clientId: string, vault: string, access: Access): void {
    const holder = this.apps.get(clientId) ?? this.managed.get(clientId);
    if (!holder) throw new RegistryError(`unknown client ${clientId}`);
    holder.vaults[vault] = access;
  }

  accessOf(clientId: string, vault: string): Access {
    const holder = this.apps.get(clientId) ?? this.managed.get(clientId);
    if (!holder) return "none";
    return holder.vaults[vault] ?? holder.vaults["*"] ?? "none";
  }

  /** Tenants the Entra emulator answers for. */
  tenants(): Set<string> {
    return new Set([this.defaultTenantId, ...[...this.apps.values()].map((a) => a.tenantId)]);
  }
}
