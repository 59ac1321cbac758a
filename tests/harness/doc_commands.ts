/**
 * Shell commands taken from the project's Markdown documents, so that a test runs exactly what a page tells people to
 * run and the page cannot drift from what is tested.
 *
 * @module
 */
import { type CommandResult, run } from "./control_plane.ts";

/** The bodies of the fenced ```sh / ```shell / ```bash blocks of a Markdown text, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:sh|shell|bash)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => m[1]!);
}

/** The first shell block that `pred` accepts; throws, naming `what`, when there is none. */
export function shellBlock(markdown: string, what: string, pred: (block: string) => boolean): string {
  const block = shellBlocks(markdown).find(pred);
  if (block === undefined) throw new Error(`The document has no shell block with ${what}`);
  return block;
}

/**
 * Runs shell text with bash (`-euo pipefail`: the first failing command fails it, as a careful reader would stop) from
 * the repository root, with `kubectl` pointed at `kubeconfig`.
 */
export function runShell(script: string, kubeconfig: string, env: Record<string, string> = {}): Promise<CommandResult> {
  return run("bash", ["-euo", "pipefail", "-c", script], {
    cwd: new URL("../../", import.meta.url).pathname,
    env: { KUBECONFIG: kubeconfig, ...env },
  });
}
