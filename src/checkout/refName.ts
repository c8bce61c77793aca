/**
 * Branch-name validation without spawning git: the rules of
 * `git check-ref-format --branch` (refs.c `check_refname_format` applied to
 * `refs/heads/<name>`, plus the `--branch` extras), so a name from config is
 * rejected before it ever becomes a git argument.
 */
import { PreprodError } from '../errors';
import { COMMIT_ID } from './gitOutput';

// Characters git refuses anywhere in a ref name (besides control characters).
const FORBIDDEN_CHARS = new Set([' ', '~', '^', ':', '?', '*', '[', '\\']);

/**
 * Why `name` is not a valid branch name, as a short phrase ("starts with '-'"),
 * or null when git would accept it.
 *
 * Deliberately stricter than git in two places: `@` (git accepts it as a branch
 * name, but every git command reads `@` as HEAD, so `checkout -B @` would not
 * mean what it says) and strings with lone UTF-16 surrogates (they cannot be
 * encoded into the UTF-8 argv that git would see).
 */
export function refNameProblem(name: string): string | null {
  if (typeof name !== 'string') return 'is not a string';
  if (name === '') return 'is empty';
  // git's --branch check: a leading '-' would be parsed as an option.
  if (name.startsWith('-')) return "starts with '-'";
  if (name === 'HEAD') return "is 'HEAD'";
  if (name === '@') return "is '@'";
  if (/[\uD800-\uDFFF]/u.test(name)) return 'is not valid Unicode';

  for (const ch of name) {
    const code = ch.codePointAt(0) as number;
    if (code < 0x20 || code === 0x7f) return 'contains a control character';
    if (ch === ' ') return 'contains a space';
    if (FORBIDDEN_CHARS.has(ch)) return `contains '${ch}'`;
  }

  if (name.includes('..')) return "contains '..'";
  if (name.includes('@{')) return "contains '@{'";
  if (name.startsWith('/')) return "starts with '/'";
  if (name.endsWith('/')) return "ends with '/'";
  if (name.includes('//')) return "contains '//'";
  if (name.endsWith('.')) return "ends with '.'";

  for (const component of name.split('/')) {
    if (component.startsWith('.')) return "has a component starting with '.'";
    if (component.endsWith('.lock')) return "has a component ending with '.lock'";
  }
  return null;
}

/** Throws config-invalid when `name` (a branch or remote from config) is not a valid ref name. */
export function assertName(name: string, what: string): void {
  const problem = refNameProblem(name);
  if (problem !== null) {
    throw new PreprodError(
      'config-invalid',
      `Expected ${what} to be a valid git branch or remote name, got ${JSON.stringify(name)} (it ${problem}).`,
    );
  }
}

/** A revision we pass to git: a commit id or a full ref name, never something git could read as an option. */
export function assertRevision(rev: string, what: string): void {
  if (typeof rev !== 'string') {
    assertName(rev, what);
    return;
  }
  if (COMMIT_ID.test(rev) || (rev.startsWith('refs/') && refNameProblem(rev) === null)) return;
  assertName(rev, what);
}
