// Key Vault's naming rules.

/** Secret, key and certificate names: 1–127 characters of 0-9, a-z, A-Z and "-". */
export function isValidObjectName(name: string): boolean {
  return /^[0-9a-zA-Z-]{1,127}$/.test(name);
}

/** Vault names: 3–24 characters, letters, digits and single hyphens, starting with a letter, not ending in "-". */
export function isValidVaultName(name: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(name) && !name.includes("--");
}

/** Object versions are 32 lowercase hex digits. */
export function isVersionId(version: string): boolean {
  return /^[0-9a-f]{32}$/.test(version);
}

export function newVersionId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
