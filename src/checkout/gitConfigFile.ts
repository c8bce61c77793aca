/**
 * A reader of the repository's own git config file, for the one fact the
 * no-switch boot needs besides HEAD: which remote the current branch tracks
 * and that remote's URL (docs/design.md §4: a managed branch name that tracks
 * another remote, an operator's fork, is left alone). Reading the file costs
 * no git process. Pure: text in, values out.
 *
 * It follows git-config(1)'s syntax for what it reads: sections
 * `[branch "name"]` (subsection case kept, `\"` and `\\` escapes) and the old
 * `[branch.name]` form, case-insensitive keys, `#`/`;` comments, quoted
 * values with escapes, and lines continued with a trailing backslash. A file
 * with `[include]`/`[includeIf]` or per-worktree config can hold values this
 * reader does not see, so it then says it does not know.
 */

export interface RepoConfig {
  /** branch name → branch.<name>.remote (the last one wins, as in git). */
  branchRemotes: Map<string, string>;
  /** branch name → branch.<name>.merge. */
  branchMerges: Map<string, string>;
  /** remote name → remote.<name>.url values, in order (git fetches from the first). */
  remoteUrls: Map<string, string[]>;
  /** The file includes others, or enables per-worktree config: values may be elsewhere. */
  incomplete: boolean;
}

/** The remote a branch tracks and that remote's fetch URL (null when it has none, e.g. the `.` remote). */
export interface Upstream {
  remote: string;
  url: string | null;
}

export function parseRepoConfig(text: string): RepoConfig {
  const config: RepoConfig = {
    branchRemotes: new Map(),
    branchMerges: new Map(),
    remoteUrls: new Map(),
    incomplete: false,
  };
  let section = '';
  let subsection: string | null = null;
  for (const line of logicalLines(text)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (trimmed.startsWith('[')) {
      [section, subsection] = parseHeader(trimmed);
      if (section === 'include' || section === 'includeif') config.incomplete = true;
      continue;
    }
    const entry = parseEntry(trimmed);
    if (entry === null) continue;
    record(config, section, subsection, entry.key, entry.value);
  }
  return config;
}

/** What `branch` tracks per `config`; null when it tracks nothing, undefined when the config may hide it. */
export function upstreamOf(config: RepoConfig, branch: string | null): Upstream | null | undefined {
  if (config.incomplete) return undefined;
  if (branch === null) return null;
  const remote = config.branchRemotes.get(branch);
  if (remote === undefined || remote === '') return null;
  const urls = config.remoteUrls.get(remote);
  return { remote, url: urls && urls.length > 0 ? urls[0] : null };
}

function record(config: RepoConfig, section: string, subsection: string | null, key: string, value: string | null) {
  if (section === 'extensions' && key === 'worktreeconfig' && value !== 'false') config.incomplete = true;
  if (subsection === null || value === null) return;
  if (section === 'branch' && key === 'remote') config.branchRemotes.set(subsection, value);
  if (section === 'branch' && key === 'merge') config.branchMerges.set(subsection, value);
  if (section === 'remote' && key === 'url') {
    config.remoteUrls.set(subsection, [...(config.remoteUrls.get(subsection) ?? []), value]);
  }
}

/** Whether `branch` already tracks `refs/heads/<branch>` of `remote` (nothing to write). */
export function tracksAlready(config: RepoConfig | null, branch: string, remote: string): boolean {
  if (config === null || config.incomplete) return false;
  return config.branchRemotes.get(branch) === remote && config.branchMerges.get(branch) === `refs/heads/${branch}`;
}

/** Physical lines joined where one ends in an unescaped backslash (a continuation). */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const backslashes = /\\+$/.exec(raw)?.[0].length ?? 0;
    if (backslashes % 2 === 1) {
      pending += raw.slice(0, -1);
      continue;
    }
    lines.push(pending + raw);
    pending = '';
  }
  if (pending !== '') lines.push(pending);
  return lines;
}

/** `[section "sub"]` → ['section', 'sub']; `[section.sub]` → ['section', 'sub' lower-cased]; `[x]` → ['x', null]. */
function parseHeader(line: string): [string, string | null] {
  const quoted = /^\[\s*([A-Za-z0-9.-]+)\s+"((?:[^"\\]|\\.)*)"\s*\]/.exec(line);
  if (quoted) return [quoted[1].toLowerCase(), quoted[2].replace(/\\(.)/g, '$1')];
  const plain = /^\[\s*([A-Za-z0-9-]+)(?:\.([A-Za-z0-9.-]+))?\s*\]/.exec(line);
  if (plain) return [plain[1].toLowerCase(), plain[2] === undefined ? null : plain[2].toLowerCase()];
  return ['', null];
}

/** `key = value` (value unquoted and unescaped, comments dropped) or a bare `key` (no value). */
function parseEntry(line: string): { key: string; value: string | null } | null {
  const match = /^([A-Za-z][A-Za-z0-9-]*)\s*(=(.*))?$/.exec(line);
  if (!match) return null;
  return { key: match[1].toLowerCase(), value: match[2] === undefined ? null : parseValue(match[3]) };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', b: '\b', '\\': '\\', '"': '"' };

function parseValue(raw: string): string {
  let value = '';
  let quoted = false;
  let spaces = '';
  for (let i = 0; i < raw.length; i += 1) {
    const ch = raw[i];
    if (!quoted && (ch === '#' || ch === ';')) break;
    if (ch === '\\' && i + 1 < raw.length) {
      value += spaces + (ESCAPES[raw[i + 1]] ?? raw[i + 1]);
      spaces = '';
      i += 1;
    } else if (ch === '"') {
      value += spaces;
      spaces = '';
      quoted = !quoted;
    } else if (!quoted && /\s/.test(ch)) {
      // Inner whitespace is kept, leading and trailing whitespace is not.
      if (value !== '') spaces += ch;
    } else {
      value += spaces + ch;
      spaces = '';
    }
  }
  return value;
}
