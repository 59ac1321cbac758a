// `deno task dev:vault`: runs the Azure emulators on 127.0.0.1 until Ctrl-C and prints, on stdout, the shell lines
// that point an Azure SDK program at them. Everything else (admin URL, managed identity settings) goes to stderr.
import { Command, InvalidArgumentError } from "commander";
import { type AzureEmulators, DEFAULT_TENANT_ID, readSeedFile, startAzureEmulators } from "./mod.ts";

/** The read/write client printed for a person to use; fixed so pasted lines stay valid across restarts. */
export const DEV_CLIENT_ID = "0d3c5f6e-1a2b-4c5d-8e9f-a0b1c2d3e4f5";
export const DEV_CLIENT_SECRET = "dev-vault-client-secret";

export interface DevOptions {
  port: number;
  vault: string[];
  seed?: string;
  clientId: string;
  clientSecret: string;
  tenantId: string;
  tokenLifetime: number;
  log: boolean;
}

function integer(min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`want an integer >= ${min}`);
    return n;
  };
}

/** The paste-able lines, exactly in the order the issue asks for. */
export function exportLines(em: AzureEmulators, clientId: string, clientSecret: string, vault: string): string[] {
  return [
    `export AZURE_AUTHORITY_HOST=${em.authorityHost}`,
    `export NODE_EXTRA_CA_CERTS=${em.caCertPath}`,
    `export AZURE_TENANT_ID=${em.tenantId}`,
    `export AZURE_CLIENT_ID=${clientId}`,
    `export AZURE_CLIENT_SECRET=${clientSecret}`,
    `export KEYVAULT_URL=${em.vaultUrl(vault)}`,
  ];
}

export async function runDevVault(opts: DevOptions): Promise<AzureEmulators> {
  const seed = opts.seed ? await readSeedFile(opts.seed) : undefined;
  const seedVaults = Object.keys(seed?.vaults ?? {});
  // Without --vault: the seed's vaults, or "demo" when there are none.
  const vaults = opts.vault.length > 0 ? opts.vault : seedVaults.length > 0 ? [] : ["demo"];
  const write = (line: string): void => {
    Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
  };
  const em = await startAzureEmulators({
    vaults,
    port: opts.port,
    tenantId: opts.tenantId,
    tokenLifetimeSeconds: opts.tokenLifetime,
    ...(opts.log
      ? {
        onRequest: (r) =>
          write(
            `[${new Date(r.at).toISOString()}] ${r.service}${r.vault ? `/${r.vault}` : ""} ${r.route} ` +
              `caller=${r.caller} -> ${r.status} ${r.durationMs}ms${r.fault ? ` (${r.fault})` : ""}`,
          ),
      }
      : {}),
  });
  if (seed) await em.seed(seed);
  em.addClientSecretApp({ clientId: opts.clientId, secret: opts.clientSecret });
  const first = em.vaultNames()[0] ?? "demo";
  await Deno.stdout.write(
    new TextEncoder().encode(exportLines(em, opts.clientId, opts.clientSecret, first).join("\n") + "\n"),
  );
  write(`# vaults: ${em.vaultNames().map((n) => `${n}=${em.vaultUrl(n)}`).join(" ")}`);
  write(`# admin API: ${em.adminUrl}/_admin (seed, faults, counters; see tests/harness/azure/README.md)`);
  write(`# managed identity (IMDS form): export AZURE_POD_IDENTITY_AUTHORITY_HOST=${em.imdsEndpoint}`);
  write(
    `# managed identity (App Service form): export IDENTITY_ENDPOINT=${em.identityEndpoint} IDENTITY_HEADER=${em.identityHeader}`,
  );
  write(
    `# SDK options needed: disableInstanceDiscovery: true (credentials), disableChallengeResourceVerification: true (clients)`,
  );
  write(`# Ctrl-C to stop`);
  return em;
}

if (import.meta.main) {
  const program = new Command("dev:vault")
    .description("Azure Key Vault, Entra ID and IMDS emulators on 127.0.0.1, until Ctrl-C")
    .option(
      "--port <n>",
      "first of a block of fixed ports: Entra=n, IMDS=n+1, admin=n+2, vaults from n+3",
      integer(0),
      0,
    )
    .option(
      "--vault <name>",
      "vault to create (repeatable; default: the seed's vaults, else demo)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--seed <file>", "seed document (YAML or JSON) with vaults, secrets, identities, faults")
    .option("--client-id <id>", "read/write client to register and print", DEV_CLIENT_ID)
    .option("--client-secret <secret>", "its secret", DEV_CLIENT_SECRET)
    .option("--tenant-id <id>", "tenant", DEFAULT_TENANT_ID)
    .option("--token-lifetime <seconds>", "lifetime of issued tokens", integer(1), 3600)
    .option("--log", "print one line per request on stderr", false)
    .parse(["deno", "main.ts", ...Deno.args]);
  const em = await runDevVault(program.opts<DevOptions>());
  const stop = async (): Promise<void> => {
    await em.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
