import * as path from 'node:path';

/**
 * Remote URL comparison (DESIGN §4). The seed compared URLs as exact strings,
 * so nodes cloned from the README's `https://github.com/runonflux/flux` never
 * matched the configured `https://github.com/RunOnFlux/flux.git` and were
 * silently skipped. Both sides are reduced to one canonical form first.
 *
 * Canonical forms:
 * - hosted repositories: `host[:port]/owner/repo`, e.g. `github.com/runonflux/flux`.
 *   The scheme (https, http, ssh, git, scp-like `git@host:`) and any user or
 *   password are dropped: they are ways to reach the same repository. Default
 *   ports (80, 443, 22, 9418) are dropped; other ports are kept, since they
 *   name a different server.
 *   The whole path is lower-cased for every host, not only github.com:
 *   GitHub, GitLab, Bitbucket and Gitea treat owner and repository names
 *   case-insensitively, and a false "no match" (the seed's bug) costs more
 *   than the theoretical false match on a case-sensitive self-hosted server.
 * - local repositories (absolute paths, `file://` URLs, relative paths):
 *   a normalised absolute path. Letter case is kept (file systems are case
 *   sensitive), and a trailing `.git` is stripped exactly as for hosted URLs
 *   so that `/srv/upstream.git` and `/srv/upstream` compare equal on both
 *   sides (git itself tries `<path>.git` when given `<path>`).
 *
 * A hosted form never starts with `/`, a local one always does, so the two
 * can never be confused.
 */

const DEFAULT_PORTS = new Set(['80', '443', '22', '9418']);

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

  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(trimmed);
  if (withScheme) {
    const scheme = withScheme[1].toLowerCase();
    const rest = withScheme[2];
    if (scheme === 'file') return normaliseLocalPath(decodeURIComponentSafe(fileUrlPath(rest)), options);
    return normaliseHosted(rest);
  }

  const scpLike = scpLikeParts(trimmed);
  if (scpLike) return canonicalHosted(scpLike.host, '', scpLike.path);

  return normaliseLocalPath(trimmed, options);
}

/** True when both URLs name the same repository after normalisation. Empty URLs never match. */
export function remoteUrlsMatch(a: string, b: string, options: NormaliseOptions = {}): boolean {
  const left = normaliseRemoteUrl(a, options);
  return left !== '' && left === normaliseRemoteUrl(b, options);
}

/** `[user[:password]@]host[:port]/path` after the scheme. */
function normaliseHosted(rest: string): string {
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const pathPart = slash === -1 ? '' : rest.slice(slash);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  // IPv6 literals keep their brackets; the port is whatever follows them.
  const bracket = /^(\[[^\]]*\])(?::(\d*))?$/.exec(hostPort);
  const plain = /^([^:]*)(?::(\d*))?$/.exec(hostPort);
  const match = bracket ?? plain;
  const host = match ? match[1] : hostPort;
  const port = match && match[2] ? match[2] : '';
  return canonicalHosted(host, port, pathPart);
}

function canonicalHosted(host: string, port: string, rawPath: string): string {
  const hostPart = host.toLowerCase() + (port && !DEFAULT_PORTS.has(port) ? `:${port}` : '');
  const cleanPath = stripGitSuffix(
    rawPath
      .split('/')
      .filter((segment) => segment !== '' && segment !== '.')
      .join('/'),
  ).toLowerCase();
  return cleanPath === '' ? hostPart : `${hostPart}/${cleanPath}`;
}

/**
 * Git's rule for the scp-like syntax `[user@]host:path`: a colon that comes
 * before any slash, and no `://`. A single letter before the colon would be a
 * Windows drive; FluxOS runs on Linux, but treating `C:/x` as a host named
 * "c" would be wrong anywhere, so it is left to the local-path branch.
 */
function scpLikeParts(url: string): { host: string; path: string } | null {
  const colon = url.indexOf(':');
  if (colon <= 0) return null;
  const slash = url.indexOf('/');
  if (slash !== -1 && slash < colon) return null;
  const userHost = url.slice(0, colon);
  if (/^[a-z]$/i.test(userHost)) return null;
  const host = userHost.slice(userHost.lastIndexOf('@') + 1).replace(/^\[(.*)\]$/, '[$1]');
  if (host === '') return null;
  return { host, path: url.slice(colon + 1) };
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
