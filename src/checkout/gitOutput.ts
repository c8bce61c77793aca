/**
 * Pure parsers of git's output (docs/design.md §10): the git adapter runs
 * git, these turn its text into values. No I/O here, so every odd output
 * (empty, CRLF line ends, unusual branch names) is a table test, not a git run.
 * Where git can write NUL-separated output (-z), the adapter asks for it and
 * the parser splits on NUL: file and branch names may hold spaces, quotes or
 * non-ASCII bytes.
 */

/** A full commit id: SHA-1 (40 hex digits) or SHA-256 (64). */
export const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Lines of a text output, CRLF or LF, without empty ones. */
export function outputLines(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** The entries of a NUL-separated output (`-z`), without the empty one after the last NUL. */
export function nulEntries(stdout: string): string[] {
  const entries = stdout.split('\0');
  if (entries[entries.length - 1] === '') entries.pop();
  return entries;
}

/**
 * `git rev-parse HEAD --symbolic-full-name HEAD`: the commit, then `refs/heads/<b>`
 * (on a branch) or `HEAD` (detached). Null when the output has another shape.
 */
export function parseHead(stdout: string): { branch: string | null; commit: string } | null {
  const [commit, ref, ...rest] = outputLines(stdout).map((line) => line.trim());
  if (commit === undefined || !COMMIT_ID.test(commit) || ref === undefined || rest.length > 0) return null;
  if (ref.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length) {
    return { branch: ref.slice('refs/heads/'.length), commit };
  }
  return ref === 'HEAD' ? { branch: null, commit } : null;
}

/**
 * `git config -z --get-regexp <re>`: entries `key\nvalue\0`. Keys come back
 * as git stores them (section and variable lower-cased, subsection as
 * written); a key without a value (`[remote "x"] url`) has no newline.
 */
export function parseConfigEntries(stdout: string): Array<{ key: string; value: string | null }> {
  return nulEntries(stdout).map((entry) => {
    const newline = entry.indexOf('\n');
    if (newline === -1) return { key: entry, value: null };
    return { key: entry.slice(0, newline), value: entry.slice(newline + 1) };
  });
}

/** `remote.<name>.url` entries of parseConfigEntries(), in order, as { name, url }. */
export function remoteUrlsFromConfig(stdout: string): Array<{ name: string; url: string }> {
  const remotes: Array<{ name: string; url: string }> = [];
  for (const { key, value } of parseConfigEntries(stdout)) {
    const match = /^remote\.(.+)\.url$/s.exec(key);
    if (match && value !== null && value.trim() !== '') remotes.push({ name: match[1], url: value.trim() });
  }
  return remotes;
}

/** `git ls-remote --heads`: `<commit>\trefs/heads/<b>` lines; the branch names present. */
export function parseLsRemoteHeads(stdout: string): Set<string> {
  const present = new Set<string>();
  for (const line of outputLines(stdout)) {
    const ref = line.split('\t')[1]?.trim();
    if (ref && ref.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length) {
      present.add(ref.slice('refs/heads/'.length));
    }
  }
  return present;
}

/** The one line of git's stderr worth showing: the first `fatal:`/`error:` line, else the last line. */
export function gitMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const line = lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[lines.length - 1] ?? '';
  const clean = line.replace(/^(fatal|error):\s*/i, '').replace(/[.\s]+$/, '');
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}

/** The target of a `.git` file (`gitdir: <path>`), as written; null when it is not one. */
export function parseGitDirPointer(text: string): string | null {
  const pointer = /^gitdir:[ \t]*(.+?)[ \t]*\r?$/m.exec(text);
  return pointer ? pointer[1] : null;
}

/** Why git refuses a directory, from its stderr (git's words are English: the adapter runs git with LC_ALL=C). */
export type GitRefusal = 'dubious-ownership' | 'not-a-repository' | null;

export function gitRefusal(stderr: string): GitRefusal {
  if (/detected dubious ownership/i.test(stderr)) return 'dubious-ownership';
  if (/not a git repository/i.test(stderr)) return 'not-a-repository';
  return null;
}
