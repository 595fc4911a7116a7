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

/** Wraps a Node network error; `what` names the server the user should check (e.g. "vidserve serve (HTTP port)"). */
export function describeNetError(e: Error, endpoint: string, what: string): TransportError {
  const code = (e as NodeJS.ErrnoException).code ?? 'NETWORK';
  const reason = REASONS[code] ?? e.message;
  const hint = code === 'ECONNREFUSED' ? ` — is ${what} running on that port?` : '';
  return new TransportError(code, `cannot reach ${endpoint}: ${reason}${hint}`, endpoint, { cause: e });
}
