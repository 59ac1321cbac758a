/**
 * Where the project keeps what is expensive to make (built binaries, CAs, state of dev servers): under
 * `${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator`, so a machine that has them skips the work. An empty XDG_CACHE_HOME
 * counts as unset, as in the shell's `:-`.
 *
 * @module
 */

/** `<cache home>/kv-operator/<sub>`. */
export function kvCacheDir(sub: string): string {
  const home = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") || "/tmp"}/.cache`;
  return `${home}/kv-operator/${sub}`;
}
