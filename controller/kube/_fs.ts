/**
 * Small file-system and environment helpers shared by the loaders (package-private).
 *
 * @module
 */

import { KubeConfigError } from "./errors.ts";

/** One-line reason a file could not be read, naming the Deno permission flag when that is the cause. */
export function readFsError(e: unknown, path: string): string {
  if (e instanceof Deno.errors.NotFound) return `file "${path}" does not exist`;
  if (e instanceof Deno.errors.NotCapable) {
    return `no permission to read "${path}" (run Deno with --allow-read=${path})`;
  }
  if (e instanceof Deno.errors.PermissionDenied) return `permission denied reading "${path}"`;
  if (e instanceof Deno.errors.IsADirectory) return `"${path}" is a directory`;
  return `cannot read "${path}": ${e instanceof Error ? e.message : String(e)}`;
}

/** Whether `p` is absolute (POSIX, or a Windows drive/UNC path). */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(p);
}

/** The directory part of `p` ("." when there is none). */
export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  if (i < 0) return ".";
  if (i === 0) return p.slice(0, 1);
  return p.slice(0, i);
}

/** Resolves `p` against `baseDir` unless it is absolute or empty (kubeconfig rule: relative to the file). */
export function resolvePath(baseDir: string, p: string): string {
  if (p === "" || isAbsolutePath(p)) return p;
  return `${baseDir.replace(/[\\/]+$/, "")}/${p}`;
}

/** Splits a PEM bundle into single certificates (Deno wants one PEM per `caCerts` entry to be safe). */
export function splitPemBundle(pem: string): string[] {
  const out = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return out.map((c) => c + "\n");
}

/**
 * `Deno.env.get` that turns a missing `--allow-env` permission into a clear error naming the variable, instead of
 * Deno's generic one.
 */
export function denoEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new KubeConfigError(
        `Cannot read environment variable ${name}: run Deno with --allow-env=${name} (or a list that includes it)`,
        { cause: e },
      );
    }
    throw e;
  }
}
