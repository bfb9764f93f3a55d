import { DOCKER_HUB, isRegistryHost, normaliseRegistryHost } from '../images/image-reference';

/** What the engine expects as `serveraddress` for Docker Hub credentials. */
const HUB_AUTH_ADDRESS = 'https://index.docker.io/v1/';

/**
 * A registry's server address as stored: `host[:port]`, with Docker Hub's aliases (index.docker.io,
 * registry-1.docker.io, https://index.docker.io/v1/) collapsed to "docker.io". Returns undefined
 * when the value is not a registry address.
 */
export function normaliseServerAddress(value: string): string | undefined {
  const trimmed = value.trim();
  if (/^https:\/\/index\.docker\.io\/v1\/?$/i.test(trimmed)) return DOCKER_HUB;
  return isRegistryHost(trimmed) ? normaliseRegistryHost(trimmed) : undefined;
}

/** The `serveraddress` to put in an engine auth config for a stored server address. */
export function engineServerAddress(serverAddress: string): string {
  return serverAddress === DOCKER_HUB ? HUB_AUTH_ADDRESS : serverAddress;
}
