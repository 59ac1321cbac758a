// Helpers shared by this directory's SDK tests: real SDK clients wired to a running emulator.
import { ClientSecretCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import type { ProbeResult } from "./sdk_probe.ts";
import { type AzureEmulatorOptions, type AzureEmulators, startAzureEmulators } from "./mod.ts";

/** The two options every client needs against the emulator (see README.md). */
export const CREDENTIAL_OPTIONS = { disableInstanceDiscovery: true } as const;
export const CLIENT_OPTIONS = {
  disableChallengeResourceVerification: true,
  // Keep retries of injected 5xx/dropped connections short; 429 waits follow Retry-After regardless.
  retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 200 },
} as const;

export function clientSecretCredential(em: AzureEmulators, clientId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(em.tenantId, clientId, secret, {
    authorityHost: em.authorityHost,
    ...CREDENTIAL_OPTIONS,
  });
}

export function secretClient(em: AzureEmulators, credential: TokenCredential, vault = "demo"): SecretClient {
  return new SecretClient(em.vaultUrl(vault), credential, CLIENT_OPTIONS);
}

/** A registered read/write app and a SecretClient for it. */
export function appClient(em: AzureEmulators, clientId = "app-rw", vault = "demo"): SecretClient {
  em.addClientSecretApp({ clientId, secret: `${clientId}-secret` });
  return secretClient(em, clientSecretCredential(em, clientId, `${clientId}-secret`), vault);
}

/** `route status` lines of what the emulator saw, for exact sequence assertions. */
export function trace(em: AzureEmulators): string[] {
  return em.requests().map((r) => `${r.route} ${r.status}`);
}

/** Runs `fn` with fresh emulators and always stops them. */
export async function withEmulators(
  options: AzureEmulatorOptions,
  fn: (em: AzureEmulators) => Promise<void> | void,
): Promise<void> {
  const em = await startAzureEmulators(options);
  try {
    await fn(em);
  } finally {
    await em.stop();
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { statusCode?: number; code?: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** Runs sdk_probe.ts in a fresh process with `env` added to ours; returns its JSON outcome. */
export async function runProbe(args: string[], env: Record<string, string>): Promise<ProbeResult> {
  const script = new URL("./sdk_probe.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script, ...args],
    env,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !stdout) {
    throw new Error(`sdk_probe failed (${out.code}): ${new TextDecoder().decode(out.stderr)}\n${stdout}`);
  }
  return JSON.parse(stdout.split("\n").at(-1) ?? "") as ProbeResult;
}
