/**
 * When a switch needs the dependency install (docs/design.md §4): only when
 * the dependency fields of package.json or a tracked npm lockfile differ
 * between the old and the new commit. FluxOS git-ignores package-lock.json
 * and bumps `version` on every release, so comparing whole files would run
 * `npm install` (minutes on a node) on every switch. Pure.
 */

/** The package.json fields npm installs from (`bundledDependencies` is npm's other spelling). */
export const DEPENDENCY_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'bundleDependencies',
  'bundledDependencies',
  'overrides',
] as const;

/** npm's lockfiles: when tracked, a change in one changes what `npm install` puts in node_modules. */
export const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json'];

/** Same JSON value, whatever the order of object keys (npm does not care about it). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** The dependency fields of a package.json text; null when it is not a JSON object (treated as changed). */
function dependencyFields(text: string | null): string | null {
  if (text === null) return canonical({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const fields: Record<string, unknown> = {};
  for (const field of DEPENDENCY_FIELDS) {
    if (Object.hasOwn(parsed, field)) fields[field] = (parsed as Record<string, unknown>)[field];
  }
  return canonical(fields);
}

/**
 * Whether the dependency fields differ between two package.json texts (null:
 * the file does not exist at that commit). A file that cannot be parsed
 * counts as a change: installing once too often is safe, starting on
 * missing dependencies is not.
 */
export function dependencyFieldsDiffer(before: string | null, after: string | null): boolean {
  const left = dependencyFields(before);
  const right = dependencyFields(after);
  return left === null || right === null || left !== right;
}

/** The paths a switch's diff names that may need an install: a lockfile always does, package.json maybe. */
export function dependencyChanges(changedPaths: readonly string[]): { lockfile: boolean; packageJson: boolean } {
  return {
    lockfile: changedPaths.some((p) => LOCKFILES.includes(p)),
    packageJson: changedPaths.includes('package.json'),
  };
}
