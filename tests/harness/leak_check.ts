/**
 * The leak scanner: every value written to the emulated Key Vault (by a test, the seed, the plugin or the API) is a
 * recognisable canary; when a controller process stops, its output, its `/metrics` and every ExternalSecret's status
 * and every Event in the cluster are searched for any of them, in plain, base64, hex, upper- and lower-case forms.
 * A hit is written to a report file that the test runner turns into a failed test — so a leak fails CI even when a
 * test swallows the controller's stop.
 *
 * Values shorter than 8 characters are not canaries (too many false hits on ordinary words), as in the log redactor.
 *
 * @module
 */
import { formsOf } from "../../controller/runtime/log.ts";

/** Every value the Key Vault emulator was given in this process. */
const canaries = new Set<string>();

/** Where hits go: one JSON line each, read by `tests/run_tests.ts`. */
export const LEAK_REPORT_ENV = "KV_LEAK_REPORT";

/** Registers a value written to the emulated vault. */
export function addCanary(value: string): void {
  if (value.length >= 8) canaries.add(value);
}

/** The places in `texts` (by name) where a canary appears; names the place and the value's length, never the value. */
export function findLeaks(texts: Record<string, string>): string[] {
  const hits: string[] = [];
  for (const value of canaries) {
    for (const form of formsOf(value)) {
      for (const [where, text] of Object.entries(texts)) {
        if (text.includes(form)) hits.push(`a Key Vault value (${value.length} characters) appeared in ${where}`);
      }
    }
  }
  return [...new Set(hits)];
}

/** Appends hits to the report file named by {@link LEAK_REPORT_ENV} (set by the test runner). */
export function reportLeaks(test: string, hits: readonly string[]): void {
  const file = Deno.env.get(LEAK_REPORT_ENV);
  if (!file || hits.length === 0) return;
  const lines = hits.map((h) => JSON.stringify({ test, hit: h })).join("\n") + "\n";
  Deno.writeTextFileSync(file, lines, { append: true, create: true });
}
