/**
 * The providers' face for other parts of the project (the kubectl plugin): the contract, its errors, the value
 * pipeline, and the Azure Key Vault provider with the credentials reader the controller uses. Importing it loads the
 * Azure SDK: commands that may not need it import it dynamically.
 *
 * @module
 */
export * from "./provider.ts";
export { applyRemoteRef, checkNullBytes, decodeValue, selectProperty, type ValuePolicy } from "./values.ts";
export { StoreClientCache, storeRefOf } from "./clients.ts";
export { KubeCredentialSource } from "./kube_credentials.ts";
export { AzureKeyVaultProvider, type AzureProviderOptions, checkVaultUrl } from "./azure/provider.ts";
export { AzureKeyVaultClient } from "./azure/key_vault.ts";
