// Runs one Azure SDK call in its own process and prints the outcome as one JSON line. Used by the tests for what
// cannot share their process: MSAL keeps the managed identity source (and its endpoint) in static fields for the
// life of a process, and ClientCertificateCredential needs pem_bundle_fix.ts loaded before @azure/identity.
//
//   deno run -A sdk_probe.ts managed [clientId]       (env: AZURE_POD_IDENTITY_AUTHORITY_HOST or IDENTITY_ENDPOINT/HEADER)
//   deno run -A sdk_probe.ts certificate <pem-file> [chain]   (env: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_AUTHORITY_HOST)
//   deno run -A sdk_probe.ts environment               (DefaultAzureCredential from the AZURE_* variables)
// All read the secret SECRET_NAME from KEYVAULT_URL.
import "./pem_bundle_fix.ts";
import {
  ClientCertificateCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

export interface ProbeResult {
  ok: boolean;
  value?: string;
  error?: { name: string; message: string; statusCode?: number };
}

function env(name: string): string {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

async function probe(args: string[]): Promise<ProbeResult> {
  const [kind, arg, flag] = args;
  let credential: TokenCredential;
  if (kind === "managed") {
    credential = arg ? new ManagedIdentityCredential({ clientId: arg }) : new ManagedIdentityCredential();
  } else if (kind === "certificate" && arg) {
    credential = new ClientCertificateCredential(env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"), {
      certificatePath: arg,
    }, {
      authorityHost: env("AZURE_AUTHORITY_HOST"),
      disableInstanceDiscovery: true,
      sendCertificateChain: flag === "chain",
    });
  } else if (kind === "environment") {
    credential = new DefaultAzureCredential({ disableInstanceDiscovery: true });
  } else {
    throw new Error("usage: sdk_probe.ts managed [clientId] | certificate <pem-file> [chain] | environment");
  }
  const client = new SecretClient(env("KEYVAULT_URL"), credential, { disableChallengeResourceVerification: true });
  try {
    const secret = await client.getSecret(env("SECRET_NAME"));
    return { ok: true, ...(secret.value !== undefined ? { value: secret.value } : {}) };
  } catch (e) {
    const err = e as Error & { statusCode?: number };
    return {
      ok: false,
      error: { name: err.name, message: err.message, ...(err.statusCode ? { statusCode: err.statusCode } : {}) },
    };
  }
}

if (import.meta.main) {
  const result = await probe(Deno.args);
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(result) + "\n"));
}
