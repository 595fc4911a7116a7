// Socket-level failures in words a user can act on.
import { TransportError } from './errors.ts';

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server while sending',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** `host:port` for a URL or a gRPC target: IPv6 literals in brackets, whether or not the caller wrote them. */
export function hostPort(host: string, port: number): string {
  const bare = unbracket(host);
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/** A host without the brackets of an IPv6 literal (what socket APIs take). */
export function unbracket(host: string): string {
  return /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
}

/** Wraps a Node network error; `what` names the server the user should check (e.g. "vidserve serve (HTTP port)"). */
export function describeNetError(e: Error, endpoint: string, what: string): TransportError {
  const code = (e as NodeJS.ErrnoException).code ?? 'NETWORK';
  const reason = REASONS[code] ?? e.message;
  const hint = code === 'ECONNREFUSED' ? ` — is ${what} running on that port?` : '';
  return new TransportError(code, `cannot reach ${endpoint}: ${reason}${hint}`, endpoint, { cause: e });
}
