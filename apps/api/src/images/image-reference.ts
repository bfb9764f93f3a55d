import { DomainError } from '../common/domain-error';

/**
 * Image references, parsed the way Docker's reference grammar (distribution/reference) does:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain    := host [ ":" port ]            (a DNS name, an IPv4 address, or [IPv6])
 *
 * The first component is a registry host only when it contains "." or ":", is "localhost", or
 * has upper-case letters; otherwise the image is on Docker Hub ("docker.io", "library/" for
 * single-component names). No tag and no digest means "latest".
 */
export interface ImageReference {
  /** Registry host[:port]; "docker.io" for Docker Hub. */
  registry: string;
  /** Repository path inside the registry, e.g. "library/busybox", "team/app". */
  path: string;
  /** The tag; "latest" when the reference had neither tag nor digest. */
  tag?: string;
  /** "algorithm:hex" when the reference pinned one. */
  digest?: string;
  /** The repository as Docker displays it: "busybox", "127.0.0.1:5000/team/app". */
  repository: string;
  /** The whole reference as Docker displays it: "busybox:latest", "127.0.0.1:5000/app@sha256:…". */
  familiar: string;
  /** The whole reference with registry and path spelled out: "docker.io/library/busybox:latest". */
  canonical: string;
}

export const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+\]$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256 = /^sha256:[0-9a-f]{64}$/;

function invalid(field: string, rule: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `Validation failed: ${message}`, [{ field, rule, message }]);
}

/** host[:port] as Docker accepts it for a registry: DNS name / IPv4 / [IPv6], optional port. */
export function isRegistryHost(value: string): boolean {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return false;
  const [, host, port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  if (IPV6_HOST.test(host)) return true;
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Docker's rule for telling a registry host from the first path component. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.toLowerCase() !== component;
}

/** Hub aliases collapse to "docker.io"; everything else is kept as written. */
export function normaliseRegistryHost(host: string): string {
  return HUB_ALIASES.has(host.toLowerCase()) ? DOCKER_HUB : host;
}

/** Whether two registry hosts name the same registry (host names compare case-insensitively). */
export function sameRegistry(a: string, b: string): boolean {
  return normaliseRegistryHost(a).toLowerCase() === normaliseRegistryHost(b).toLowerCase();
}

/**
 * Parses and validates an image reference. Throws a 400 VALIDATION_FAILED naming `field` and
 * the rule that failed (format, tag, digest, registry, length).
 */
export function parseImageReference(input: string, field = 'image'): ImageReference {
  if (typeof input !== 'string' || input.length === 0) throw invalid(field, 'required', `${field} must be a non-empty image reference`);
  if (input !== input.trim() || /\s/.test(input)) throw invalid(field, 'format', `${field} must not contain whitespace`);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(field, 'digest', `${field} has an invalid digest "${digest}" (expected algorithm:hex, e.g. sha256:<64 hex>)`);
    if (digest.startsWith('sha256:') && !SHA256.test(digest)) throw invalid(field, 'digest', `${field} has an invalid sha256 digest (64 lower-case hex characters)`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid(field, 'tag', `${field} has an invalid tag "${tag}" (letters, digits, _ . -; at most 128; not starting with . or -)`);
  }
  if (rest.length === 0) throw invalid(field, 'format', `${field} has no repository name`);
  if (rest.length > MAX_NAME_LENGTH) throw invalid(field, 'maxLength', `${field} repository name must be at most ${MAX_NAME_LENGTH} characters`);

  const components = rest.split('/');
  let registry = DOCKER_HUB;
  if (components.length > 1 && looksLikeRegistry(components[0])) {
    const host = components.shift()!;
    if (!isRegistryHost(host)) throw invalid(field, 'registry', `${field} has an invalid registry host "${host}"`);
    registry = normaliseRegistryHost(host);
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      const hint = component.toLowerCase() !== component ? ' (repository names must be lower-case)' : '';
      throw invalid(field, 'format', `${field} has an invalid repository component "${component}"${hint}`);
    }
  }
  let path = components.join('/');
  if (registry === DOCKER_HUB && components.length === 1) path = `library/${path}`;
  if (!tag && !digest) tag = 'latest';

  const repository = registry === DOCKER_HUB ? path.replace(/^library\/(?=[^/]+$)/, '') : `${registry}/${path}`;
  const suffix = `${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { registry, path, tag, digest, repository, familiar: `${repository}${suffix}`, canonical: `${registry}/${path}${suffix}` };
}

/** An image id as the engine prints it: "sha256:<64 hex>", or a unique hex prefix of at least 12. */
export function isImageId(value: string): boolean {
  return SHA256.test(value) || /^[0-9a-f]{12,64}$/.test(value);
}

/** The repository names a reference may appear under in an image's RepoTags/RepoDigests. */
export function repositoryOf(repoTagOrDigest: string): string {
  const at = repoTagOrDigest.indexOf('@');
  const withoutDigest = at === -1 ? repoTagOrDigest : repoTagOrDigest.slice(0, at);
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** A Go `path.Match` pattern as a RegExp (`*` and `?` never cross a `/`; `[...]` with `^` negation; `\` escapes), or undefined if malformed. */
function globToRegExp(pattern: string): RegExp | undefined {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (++i >= pattern.length) return undefined;
      out += escapeRegExp(pattern[i]);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else out += escapeRegExp(c);
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    return undefined;
  }
}

const escapeRegExp = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The engine's `reference` filter as a test of one image name ("repo:tag" or "repo@digest", as in
 * RepoTags/RepoDigests): the pattern matches the whole name or its repository (Docker's
 * `reference.FamiliarMatch`). The pattern is compiled once; a malformed one matches nothing.
 */
export function referenceFilter(pattern: string): (name: string) => boolean {
  const re = globToRegExp(pattern);
  return (name) => re !== undefined && (re.test(name) || re.test(repositoryOf(name)));
}
