import * as path from 'node:path';

/**
 * Remote URL comparison (docs/design.md §4), the way git connects. The seed
 * compared URLs as exact strings, so nodes cloned from the README's
 * `https://github.com/runonflux/flux` never matched the configured
 * `https://github.com/RunOnFlux/flux.git` and were silently skipped. Both
 * sides are reduced to one canonical form first; a URL whose destination is
 * in doubt reduces to '' and matches nothing.
 *
 * Hosted repositories: `<transport> <host>[:port]/<path>`.
 * - transport `secure` for https, ssh (`ssh://`, `git+ssh://`, scp-like
 *   `git@host:owner/repo`), `plain` for http and git://: a plain-text
 *   transport never matches a secure one (anyone on the path could answer).
 * - user and password are dropped; the host is lower-cased, `www.` dropped;
 *   default ports (https 443, ssh 22, http 80, git 9418) dropped, others kept.
 * - the path loses empty and `.` segments, a trailing `/` and `.git`, and is
 *   lower-cased for every host: GitHub, GitLab, Bitbucket and Gitea treat
 *   owner and repository names case-insensitively, and a false "no match"
 *   (the seed's bug) costs more than a false match on a case-sensitive
 *   self-hosted server.
 * Never matching:
 * - `#`, `?`, `\`, `%`, whitespace or a second `@` in the authority: git (and
 *   curl) would end the host elsewhere than a naive reading does
 *   (`https://evil#@github.com/RunOnFlux/flux` connects to `evil`);
 * - a `..` path segment, transports other than the ones above.
 * Local repositories (absolute paths, `file://` URLs, relative paths): a
 * normalised absolute path, case kept, trailing `.git` stripped as git itself
 * tries `<path>.git`. A hosted form never starts with `/`, a local one
 * always does.
 */

const TRANSPORTS: Record<string, { kind: 'secure' | 'plain'; port: string }> = {
  https: { kind: 'secure', port: '443' },
  ssh: { kind: 'secure', port: '22' },
  'git+ssh': { kind: 'secure', port: '22' },
  'ssh+git': { kind: 'secure', port: '22' },
  http: { kind: 'plain', port: '80' },
  git: { kind: 'plain', port: '9418' },
};

/** Characters after which git or curl would read the host differently from a naive split. */
const AMBIGUOUS_AUTHORITY = /[#?\\%\s]/;

export interface NormaliseOptions {
  /**
   * Directory against which a relative local path is resolved (git resolves
   * remote paths against the repository). Default: left relative, only normalised.
   */
  baseDir?: string;
}

/** Reduce a git remote URL or path to its canonical comparison form (see the module comment). */
export function normaliseRemoteUrl(url: string, options: NormaliseOptions = {}): string {
  const trimmed = url.trim();
  if (trimmed === '') return '';
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(trimmed);
  if (withScheme) {
    const scheme = withScheme[1].toLowerCase();
    const rest = withScheme[2];
    if (scheme === 'file') return normaliseLocalPath(decodeURIComponentSafe(fileUrlPath(rest)), options);
    const transport = TRANSPORTS[scheme];
    return transport ? normaliseHosted(rest, transport) : '';
  }
  const scpLike = scpLikeParts(trimmed);
  if (scpLike) return scpLike.host === null ? '' : canonicalHosted('secure', scpLike.host, '', scpLike.path);
  return normaliseLocalPath(trimmed, options);
}

/** True when both URLs name the same repository over equally safe transports. Empty URLs never match. */
export function remoteUrlsMatch(a: string, b: string, options: NormaliseOptions = {}): boolean {
  const left = normaliseRemoteUrl(a, options);
  return left !== '' && left === normaliseRemoteUrl(b, options);
}

/** `[user[:password]@]host[:port]/path` after the scheme. */
function normaliseHosted(rest: string, transport: { kind: string; port: string }): string {
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const pathPart = slash === -1 ? '' : rest.slice(slash);
  if (AMBIGUOUS_AUTHORITY.test(authority) || authority.split('@').length > 2) return '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  // IPv6 literals keep their brackets; the port is whatever follows them.
  const match = /^(\[[^\]]*\])(?::(\d*))?$/.exec(hostPort) ?? /^([^:[\]]*)(?::(\d*))?$/.exec(hostPort);
  if (!match || match[1] === '') return '';
  const port = match[2] && match[2] !== transport.port ? match[2] : '';
  return canonicalHosted(transport.kind, match[1], port, pathPart);
}

function canonicalHosted(kind: string, host: string, port: string, rawPath: string): string {
  const segments = rawPath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return '';
  const hostPart = host.toLowerCase().replace(/^www\./, '') + (port ? `:${port}` : '');
  const cleanPath = stripGitSuffix(segments.join('/')).toLowerCase();
  return `${kind} ${cleanPath === '' ? hostPart : `${hostPart}/${cleanPath}`}`;
}

/**
 * Git's rule for the scp-like syntax `[user@]host:path`: a colon that comes
 * before any slash, and no `://`. A single letter before the colon would be a
 * Windows drive; FluxOS runs on Linux, but treating `C:/x` as a host named
 * "c" would be wrong anywhere, so it is left to the local-path branch.
 * A host that git would read otherwise than it looks comes back as null.
 */
function scpLikeParts(url: string): { host: string | null; path: string } | null {
  const colon = url.indexOf(':');
  if (colon <= 0) return null;
  const slash = url.indexOf('/');
  if (slash !== -1 && slash < colon) return null;
  const userHost = url.slice(0, colon);
  if (/^[a-z]$/i.test(userHost)) return null;
  const ambiguous = AMBIGUOUS_AUTHORITY.test(userHost) || userHost.split('@').length > 2;
  const host = userHost.slice(userHost.lastIndexOf('@') + 1);
  return { host: ambiguous || host === '' ? null : host, path: url.slice(colon + 1) };
}

function fileUrlPath(rest: string): string {
  // file:///abs/path has an empty host; file://localhost/abs/path names the same file.
  if (rest.startsWith('/')) return rest;
  const slash = rest.indexOf('/');
  return slash === -1 ? '/' : rest.slice(slash);
}

function normaliseLocalPath(raw: string, options: NormaliseOptions): string {
  const resolved =
    path.posix.isAbsolute(raw) || options.baseDir === undefined
      ? path.posix.normalize(raw)
      : path.posix.resolve(options.baseDir, raw);
  const withoutSlash = resolved.length > 1 ? resolved.replace(/\/+$/, '') : resolved;
  const stripped = stripGitSuffix(withoutSlash);
  // An unresolved relative path such as `github.com/x` must not look like a hosted form.
  return stripped.startsWith('/') || stripped.startsWith('.') ? stripped : `./${stripped}`;
}

function stripGitSuffix(value: string): string {
  const noSlash = value.replace(/\/+$/, '');
  if (noSlash === '') return value;
  return /\.git$/i.test(noSlash) && noSlash.length > 4 ? noSlash.slice(0, -4).replace(/\/+$/, '') : noSlash;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `url` with a relative local path made absolute against `baseDir` (as git resolves it); other URLs unchanged. */
export function absoluteRemoteUrl(url: string, baseDir: string): string {
  const trimmed = url.trim();
  if (trimmed === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) || scpLikeParts(trimmed) !== null) return url;
  return path.posix.isAbsolute(trimmed) ? url : path.posix.resolve(baseDir, trimmed);
}
