/**
 * The one source of truth for the `external-secrets.io/v1` API this operator serves: ExternalSecret, SecretStore,
 * ClusterSecretStore and ClusterExternalSecret, shaped as ESO v2.9 has them (field names, enums, defaults, printer columns, short names) so that
 * ESO manifests work unchanged. `deno task codegen` turns these into `crds/*.yaml` and `controller/api/types.ts`;
 * a test fails when either is stale.
 *
 * Where ESO relies on its validating webhook, we state the same rules as CEL validations so the API server itself
 * rejects bad objects with a clear message (we ship no webhook).
 *
 * @module
 */
import { arr, bool, enumOf, int, intOrString, type JsonSchema, mapOf, obj, str } from "./schema_dsl.ts";

export const GROUP = "external-secrets.io";
export const VERSION = "v1";
/** Versions ESO served before v1 that clusters may still list in a CRD's `status.storedVersions` (see codegen). */
export const HISTORIC_VERSIONS: readonly string[] = ["v1beta1"];

const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const SECRET_KEY = "^[-._a-zA-Z0-9]+$";
/** Go's `time.ParseDuration` grammar, so a typo fails at admission instead of in the controller. */
const GO_DURATION = "^([-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$";

const resourceName = (description: string): JsonSchema =>
  str({ description, minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN });

const secretKeySelector = obj("SecretKeySelector", {
  name: resourceName("The name of the Secret resource being referred to."),
  key: str({
    description: "A key in the referenced Secret.",
    minLength: 1,
    maxLength: 253,
    pattern: SECRET_KEY,
  }),
  namespace: str({
    description:
      "The namespace of the Secret. Only honoured for ClusterSecretStore; a SecretStore may only refer to its own namespace.",
    minLength: 1,
    maxLength: 63,
    pattern: DNS_LABEL,
  }),
}, { description: "A reference to a key of a Secret." });

const conditionSchema = obj("Condition", {
  type: str(),
  status: str(),
  reason: str(),
  message: str(),
  lastTransitionTime: str({ format: "date-time" }),
}, { required: ["type", "status"] });

const labelSelector = obj("LabelSelector", {
  matchLabels: mapOf(str()),
  matchExpressions: arr(
    obj("LabelSelectorRequirement", {
      key: str(),
      operator: str(),
      values: arr(str()),
    }, { required: ["key", "operator"] }),
  ),
}, { mapType: "atomic" });

// ---------------------------------------------------------------------------------------------------------------
// SecretStore / ClusterSecretStore

export const AZURE_AUTH_TYPES = ["ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"] as const;
export const AZURE_ENVIRONMENTS = [
  "PublicCloud",
  "USGovernmentCloud",
  "ChinaCloud",
  "GermanCloud",
  "AzureStackCloud",
] as const;

const azureKvProvider = obj("AzureKVProvider", {
  authType: enumOf(AZURE_AUTH_TYPES, {
    default: "ServicePrincipal",
    description: "How to authenticate to Key Vault: ServicePrincipal, ManagedIdentity or WorkloadIdentity.",
  }),
  vaultUrl: str({ description: "Vault URL, e.g. https://my-vault.vault.azure.net/." }),
  tenantId: str({ description: "Entra ID tenant; required for ServicePrincipal." }),
  environmentType: enumOf(AZURE_ENVIRONMENTS, {
    default: "PublicCloud",
    description: "The Azure cloud, which implies the Entra ID and Key Vault endpoints.",
  }),
  authSecretRef: obj("AzureKVAuth", {
    clientId: secretKeySelector,
    clientSecret: secretKeySelector,
    clientCertificate: secretKeySelector,
    tenantId: secretKeySelector,
  }, {
    description: "Credentials for ServicePrincipal (client id + exactly one of clientSecret or clientCertificate).",
    validations: [{
      rule: "!(has(self.clientSecret) && has(self.clientCertificate))",
      message: "clientSecret and clientCertificate are mutually exclusive: set exactly one of them",
    }],
  }),
  serviceAccountRef: obj("ServiceAccountSelector", {
    name: resourceName("The name of the ServiceAccount."),
    namespace: str({ minLength: 1, maxLength: 63, pattern: DNS_LABEL }),
    audiences: arr(str(), { description: "Extra token audiences; api://AzureADTokenExchange is always included." }),
  }, { required: ["name"], description: "WorkloadIdentity: the ServiceAccount whose token is federated." }),
  identityId: str({ description: "ManagedIdentity: client id of a user-assigned identity." }),
  useAzureSDK: bool({ default: false, description: "Accepted for ESO compatibility; this operator always uses it." }),
  customCloudConfig: obj("AzureCustomCloudConfig", {
    activeDirectoryEndpoint: str(),
    keyVaultEndpoint: str(),
    keyVaultDNSSuffix: str(),
    resourceManagerEndpoint: str(),
  }, { required: ["activeDirectoryEndpoint"] }),
}, { required: ["vaultUrl"], description: "Azure Key Vault." });

/** The provider names ESO v2.9 knows; only azurekv is served, the others are kept and reported as unsupported. */
export const SUPPORTED_PROVIDERS = ["azurekv"] as const;

const secretStoreSpec = obj("SecretStoreSpec", {
  controller: str({ description: "Class filter: only the controller started with this --controller-class acts." }),
  provider: obj("SecretStoreProvider", { azurekv: azureKvProvider }, {
    description: "Exactly one provider. Blocks of other ESO providers are kept but reported as unsupported.",
    minProperties: 1,
    maxProperties: 1,
    preserveUnknownFields: true,
  }),
  retrySettings: obj("SecretStoreRetrySettings", { maxRetries: int(), retryInterval: str() }),
  refreshInterval: intOrString({ description: "How often the store is re-validated (seconds or a duration)." }),
  conditions: arr(
    obj("ClusterSecretStoreCondition", {
      namespaceSelector: labelSelector,
      namespaces: arr(str()),
      namespaceRegexes: arr(str()),
    }),
    { description: "ClusterSecretStore only: the namespaces allowed to use it (any match allows)." },
  ),
}, { required: ["provider"] });

const secretStoreStatus = obj("SecretStoreStatus", {
  conditions: arr(conditionSchema),
  capabilities: enumOf(["ReadOnly", "WriteOnly", "ReadWrite"]),
});

// ---------------------------------------------------------------------------------------------------------------
// ExternalSecret

const storeRef = obj("SecretStoreRef", {
  name: resourceName("Name of the SecretStore or ClusterSecretStore."),
  kind: enumOf(["SecretStore", "ClusterSecretStore"], { description: "Defaults to SecretStore." }),
}, { required: ["name"] });

const generatorRef = obj("GeneratorRef", {
  apiVersion: str({ default: "generators.external-secrets.io/v1alpha1" }),
  kind: str(),
  name: resourceName("Name of the generator."),
}, { required: ["kind", "name"] });

const sourceRef = obj("StoreSourceRef", { storeRef, generatorRef }, { minProperties: 1, maxProperties: 1 });

// No schema defaults here, as in ESO v2.9's CRDs: its code applies Default/None when the fields are left out
// (api/defaults.ts does the same), so a manifest reads back from the apiserver exactly as under ESO.
const conversionStrategy = enumOf(["Default", "Unicode"], {
  description: 'How keys are converted: "Default" when left out.',
});
const decodingStrategy = enumOf(["Auto", "Base64", "Base64URL", "None"], {
  description: 'How values are decoded: "None" when left out.',
});

const remoteRef = obj("ExternalSecretDataRemoteRef", {
  key: str({ description: "The provider key: [secret|key|cert]/name for Azure Key Vault." }),
  metadataPolicy: enumOf(["None", "Fetch"], { description: '"None" when left out: the value; "Fetch": its tags.' }),
  property: str({ description: "A JSON path (gjson) into the value, or a tag name with metadataPolicy Fetch." }),
  version: str({ description: "A provider version; empty means the latest." }),
  conversionStrategy,
  decodingStrategy,
  nullBytePolicy: enumOf(["Ignore", "Fail"]),
}, { required: ["key"] });

const templateRef = (): JsonSchema =>
  obj("TemplateRef", {
    name: resourceName("The name of the ConfigMap/Secret."),
    items: arr(
      obj("TemplateRefItem", {
        key: str({ minLength: 1, maxLength: 253, pattern: SECRET_KEY }),
        templateAs: enumOf(["Values", "KeysAndValues"], { default: "Values" }),
      }, { required: ["key"] }),
    ),
  }, { required: ["items", "name"] });

const template = obj("ExternalSecretTemplate", {
  type: str({ description: "The type of the resulting Secret." }),
  engineVersion: enumOf(["v2"], { default: "v2" }),
  mergePolicy: enumOf(["Replace", "Merge"], { default: "Replace" }),
  metadata: obj("ExternalSecretTemplateMetadata", {
    annotations: mapOf(str()),
    labels: mapOf(str()),
    finalizers: arr(str()),
  }),
  data: mapOf(str(), { description: "Secret keys to Go templates." }),
  templateFrom: arr(
    obj("TemplateFrom", {
      configMap: templateRef(),
      secret: templateRef(),
      target: enumOf(["Data", "Annotations", "Labels"], { default: "Data" }),
      literal: str(),
      valuesDecodingStrategy: enumOf(["Auto", "Base64", "Base64URL", "None"]),
    }),
  ),
});

const findSpec = obj("ExternalSecretFind", {
  path: str(),
  name: obj("FindName", { regexp: str() }),
  tags: mapOf(str()),
  conversionStrategy,
  decodingStrategy,
  nullBytePolicy: enumOf(["Ignore", "Fail"]),
});

const rewrite = obj("ExternalSecretRewrite", {
  regexp: obj("ExternalSecretRewriteRegexp", { source: str(), target: str() }, { required: ["source", "target"] }),
  transform: obj("ExternalSecretRewriteTransform", { template: str() }, { required: ["template"] }),
  merge: obj("ExternalSecretRewriteMerge", {
    into: str({ default: "" }),
    priority: arr(str()),
    priorityPolicy: enumOf(["IgnoreNotFound", "Strict"], { default: "Strict" }),
    conflictPolicy: enumOf(["Ignore", "Error"], { default: "Error" }),
    strategy: enumOf(["Extract", "JSON"], { default: "Extract" }),
  }),
}, { minProperties: 1, maxProperties: 1 });

const externalSecretSpec = obj("ExternalSecretSpec", {
  secretStoreRef: storeRef,
  target: obj("ExternalSecretTarget", {
    name: resourceName("The Secret to manage; defaults to the ExternalSecret's name."),
    creationPolicy: enumOf(["Owner", "Orphan", "Merge", "None", "CreateOrMerge"], { default: "Owner" }),
    deletionPolicy: enumOf(["Delete", "Merge", "Retain"], { default: "Retain" }),
    template,
    manifest: obj("ExternalSecretManifestTarget", { apiVersion: str(), kind: str() }, {
      required: ["apiVersion", "kind"],
    }),
    immutable: bool(),
  }, {
    default: { creationPolicy: "Owner", deletionPolicy: "Retain" },
    validations: [
      {
        rule: "!(has(self.deletionPolicy) && self.deletionPolicy == 'Delete' && has(self.creationPolicy) && " +
          "self.creationPolicy in ['Merge', 'None', 'CreateOrMerge'])",
        message: "deletionPolicy Delete needs creationPolicy Owner or Orphan: the Secret would not be ours to delete",
      },
      {
        rule: "!(has(self.deletionPolicy) && self.deletionPolicy == 'Merge' && has(self.creationPolicy) && " +
          "self.creationPolicy == 'None')",
        message: "deletionPolicy Merge cannot be combined with creationPolicy None",
      },
    ],
  }),
  refreshPolicy: enumOf(["CreatedOnce", "Periodic", "OnChange"]),
  refreshInterval: str({
    // ESO's CRD default, spelled as Go's Duration.String() prints it (a manifest without it reads back so).
    default: "1h0m0s",
    pattern: GO_DURATION,
    description: 'How often to re-read the provider, as a Go duration ("1h", "15m", "30s"); 0 fetches once.',
  }),
  syncWindows: obj("SyncWindows", {
    kind: enumOf(["allow", "deny"]),
    windows: arr(obj("SyncWindow", { schedule: str(), duration: str() }, { required: ["schedule", "duration"] })),
  }),
  data: arr(
    obj("ExternalSecretData", {
      secretKey: str({ minLength: 1, maxLength: 253, pattern: SECRET_KEY, description: "The key in the Secret." }),
      remoteRef,
      sourceRef,
    }, { required: ["remoteRef", "secretKey"] }),
  ),
  dataFrom: arr(
    obj("ExternalSecretDataFromRemoteRef", {
      extract: remoteRef,
      find: findSpec,
      rewrite: arr(rewrite),
      sourceRef,
    }, {
      validations: [{
        rule: "has(self.extract) || has(self.find) || has(self.sourceRef)",
        message: "each dataFrom entry needs one of extract, find or sourceRef",
      }, {
        rule: "!(has(self.extract) && has(self.find))",
        message: "extract and find are mutually exclusive in one dataFrom entry",
      }],
    }),
  ),
}, {
  validations: [{
    rule: "(has(self.data) && size(self.data) > 0) || (has(self.dataFrom) && size(self.dataFrom) > 0)",
    message: "either data or dataFrom should be specified",
  }],
});

// Beyond ESO (its tooling ignores them): what each data[] source was synced from, and when the earliest expires.
const sourceStatus = obj("ExternalSecretSourceStatus", {
  key: str({ description: "The remote key." }),
  version: str({ description: "The provider version synced." }),
  expiresAt: str({ format: "date-time", description: "When that version expires (Key Vault's exp), if set." }),
  notBefore: str({ format: "date-time", description: "Not valid before (Key Vault's nbf), if set." }),
  expiry: enumOf(["Expiring", "Expired"], {
    description: "Set once the version expires within the controller's warning threshold, or has expired.",
  }),
}, { required: ["key"] });

const externalSecretStatus = obj("ExternalSecretStatus", {
  refreshTime: str({ format: "date-time", nullable: true }),
  syncedResourceVersion: str(),
  conditions: arr(conditionSchema),
  binding: obj("LocalObjectReference", { name: str({ default: "" }) }, { mapType: "atomic" }),
  sources: arr(sourceStatus, { description: "The provider version and expiry of each data[] source synced." }),
  expiresAt: str({
    format: "date-time",
    description: "The earliest expiry among the sources synced (Key Vault's exp), if any has one.",
  }),
});

// ---------------------------------------------------------------------------------------------------------------
// ClusterExternalSecret (ESO: apis/externalsecrets/v1/clusterexternalsecret_types.go)

// The template goes through the same schema as an ExternalSecret's spec (same defaults, same CEL rules): each child
// is admitted as an ordinary ExternalSecret anyway, and a CES spec that no child could have is refused up front.
const clusterExternalSecretSpec = obj("ClusterExternalSecretSpec", {
  externalSecretSpec: externalSecretSpec,
  externalSecretName: resourceName(
    "The name of the ExternalSecrets to create; defaults to the name of the ClusterExternalSecret.",
  ),
  externalSecretMetadata: obj("ExternalSecretMetadata", {
    annotations: mapOf(str()),
    labels: mapOf(str()),
  }, { description: "Labels and annotations of the ExternalSecrets created (they replace the children's own)." }),
  namespaceSelector: labelSelector, // deprecated by ESO for namespaceSelectors; still honoured
  namespaceSelectors: arr(labelSelector, {
    description: "Namespaces to create the ExternalSecrets in, by labels; any selector matching selects.",
  }),
  namespaces: arr(str({ minLength: 1, maxLength: 63, pattern: DNS_LABEL }), {
    description: "Namespaces by name, in addition to those the selectors choose.",
  }),
  refreshTime: str({
    pattern: GO_DURATION,
    description: "How often the namespaces are listed again and the ExternalSecrets put back as specified (1h).",
  }),
}, { required: ["externalSecretSpec"] });

const clusterExternalSecretStatus = obj("ClusterExternalSecretStatus", {
  externalSecretName: str({ description: "The name of the ExternalSecrets created." }),
  failedNamespaces: arr(
    obj("ClusterExternalSecretNamespaceFailure", {
      namespace: str({ description: "The namespace the ExternalSecret could not be put in." }),
      reason: str({ description: "Why." }),
    }, { required: ["namespace"] }),
  ),
  provisionedNamespaces: arr(str(), { description: "The namespaces holding an ExternalSecret of this one." }),
  // ESO's shape: no reason, no lastTransitionTime.
  conditions: arr(
    obj("ClusterExternalSecretStatusCondition", { type: str(), status: str(), message: str() }, {
      required: ["type", "status"],
    }),
  ),
});

// ---------------------------------------------------------------------------------------------------------------
// CRDs

/** What codegen needs to know about one kind. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  spec: JsonSchema;
  status: JsonSchema;
  printerColumns: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
  selectableFields?: { jsonPath: string }[];
}

const readyReason = '.status.conditions[?(@.type=="Ready")].reason';
const readyStatus = '.status.conditions[?(@.type=="Ready")].status';

const storeColumns: KindDefinition["printerColumns"] = [
  { name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" },
  { name: "Status", type: "string", jsonPath: readyReason },
  { name: "Capabilities", type: "string", jsonPath: ".status.capabilities" },
  { name: "Ready", type: "string", jsonPath: readyStatus },
];

export const KINDS: readonly KindDefinition[] = [
  {
    kind: "ExternalSecret",
    plural: "externalsecrets",
    singular: "externalsecret",
    shortNames: ["es"],
    scope: "Namespaced",
    spec: externalSecretSpec,
    status: externalSecretStatus,
    printerColumns: [
      { name: "StoreType", type: "string", jsonPath: ".spec.secretStoreRef.kind" },
      { name: "Store", type: "string", jsonPath: ".spec.secretStoreRef.name" },
      { name: "Refresh Interval", type: "string", jsonPath: ".spec.refreshInterval" },
      { name: "Status", type: "string", jsonPath: readyReason },
      { name: "Ready", type: "string", jsonPath: readyStatus },
      { name: "Last Sync", type: "date", jsonPath: ".status.refreshTime" },
    ],
    selectableFields: [
      { jsonPath: ".spec.secretStoreRef.name" },
      { jsonPath: ".spec.secretStoreRef.kind" },
      { jsonPath: ".spec.target.name" },
      { jsonPath: ".spec.refreshInterval" },
    ],
  },
  {
    kind: "SecretStore",
    plural: "secretstores",
    singular: "secretstore",
    shortNames: ["ss"],
    scope: "Namespaced",
    spec: secretStoreSpec,
    status: secretStoreStatus,
    printerColumns: storeColumns,
  },
  {
    kind: "ClusterSecretStore",
    plural: "clustersecretstores",
    singular: "clustersecretstore",
    shortNames: ["css"],
    scope: "Cluster",
    spec: secretStoreSpec,
    status: secretStoreStatus,
    printerColumns: storeColumns,
  },
  {
    kind: "ClusterExternalSecret",
    plural: "clusterexternalsecrets",
    singular: "clusterexternalsecret",
    shortNames: ["ces"],
    scope: "Cluster",
    spec: clusterExternalSecretSpec,
    status: clusterExternalSecretStatus,
    printerColumns: [
      { name: "Store", type: "string", jsonPath: ".spec.externalSecretSpec.secretStoreRef.name" },
      { name: "Refresh Interval", type: "string", jsonPath: ".spec.refreshTime" },
      { name: "Ready", type: "string", jsonPath: readyStatus },
    ],
  },
];
