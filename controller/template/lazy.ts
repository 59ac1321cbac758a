/**
 * Lazily loaded libraries. The engine executes synchronously (as Go does), so a library must be loaded before a
 * template that needs it runs: the async renderers call {@link ensureLibs} with what the parsed template uses.
 * node-forge (PKCS#12, X.509) is large and most templates never need it, so it is not loaded at startup.
 *
 * @module
 */

import type { LazyLib } from "./func.ts";
import { GoError } from "./func.ts";

// deno-lint-ignore no-explicit-any
type Forge = any;
interface Bcrypt {
  hashSync(s: string, rounds: number): string;
  compareSync(s: string, hash: string): boolean;
}

const loaded: { forge?: Forge; bcrypt?: Bcrypt } = {};

/** Loads the given libraries (no-op for those already loaded). */
export async function ensureLibs(libs: Iterable<LazyLib>): Promise<void> {
  for (const lib of libs) {
    if (loaded[lib]) continue;
    if (lib === "forge") {
      const m = await import("node-forge");
      loaded.forge = (m as { default?: Forge }).default ?? m;
    } else {
      const m = await import("bcryptjs");
      loaded.bcrypt = ((m as { default?: Bcrypt }).default ?? m) as Bcrypt;
    }
  }
}

export function isLoaded(lib: LazyLib): boolean {
  return loaded[lib] !== undefined;
}

/** The loaded library, or an error telling the caller to preload (only reachable through the sync API). */
export function forge(): Forge {
  if (!loaded.forge) throw notLoaded("forge");
  return loaded.forge;
}

export function bcrypt(): Bcrypt {
  if (!loaded.bcrypt) throw notLoaded("bcrypt");
  return loaded.bcrypt;
}

function notLoaded(lib: LazyLib): GoError {
  return new GoError(
    `this function needs the ${lib} library, which is loaded on demand: call preloadTemplateFunctions() or use an async renderer first`,
  );
}
