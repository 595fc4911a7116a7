// Where inputs by reference enter: "video_path", "video_url" and stream sources are checked against the config's
// allow-list (sources.paths / sources.urls) before anything is opened, so a request body can make the server read
// neither arbitrary files nor arbitrary hosts (no server-side request forgery). Everything refused is a 5000 whose
// message does not tell an allowed-but-missing file from a forbidden one.
import { createWriteStream } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inputError } from '../errors.ts';
import { redactUrl } from '../video/windows.ts';
import type { UrlSource } from '../video/windows.ts';
import { SCHEMES, type SourcePolicy } from './long-config.ts';

const inside = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');

/** The real path of an allowed file (symlinks resolved, and checked again after resolving). */
export async function allowedPath(p: string, policy: SourcePolicy): Promise<string> {
  if (policy.paths.length === 0) throw inputError('"video_path" is not enabled on this server (the config allows no sources.paths)');
  if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0')) throw inputError('"video_path" must be an absolute path');
  const refused = () => inputError(`"video_path" ${p} is not an allowed, readable file (allowed: sources.paths of the server's config)`);
  const lexical = path.resolve(p);
  const dirs = await Promise.all(policy.paths.map((d) => realpath(d).catch(() => path.resolve(d))));
  if (!policy.paths.some((d) => inside(lexical, path.resolve(d))) && !dirs.some((d) => inside(lexical, d))) throw refused();
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    throw refused();
  }
  if (!dirs.some((d) => inside(real, d))) throw refused();
  return real;
}

const defaultPort = (u: URL): string => u.port || ({ 'http:': '80', 'https:': '443', 'rtsp:': '554', 'rtmp:': '1935' } as Record<string, string>)[u.protocol] || '';

/** Whether `url` lies under one of the allowed URL prefixes (same scheme, host and port; path under the prefix's). */
export function urlAllowed(url: URL, allowed: readonly string[]): boolean {
  return allowed.some((a) => {
    const p = new URL(a);
    if (p.protocol !== url.protocol || p.hostname.toLowerCase() !== url.hostname.toLowerCase() || defaultPort(p) !== defaultPort(url)) return false;
    const base = p.pathname;
    return base === '/' || base === '' || url.pathname === base || inside(url.pathname, base.replace(/\/$/, ''));
  });
}

/** Parses and checks a source URL; `schemes` limits what this use accepts. */
export function allowedUrl(text: string, policy: SourcePolicy, what: string, schemes: readonly string[] = SCHEMES): URL {
  if (policy.urls.length === 0) throw inputError(`${what} is not enabled on this server (the config allows no sources.urls)`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw inputError(`${what} is not a URL`);
  }
  if (!schemes.includes(url.protocol)) throw inputError(`${what}: scheme ${url.protocol} is not accepted here (${schemes.join(' ')})`);
  if (!urlAllowed(url, policy.urls)) throw inputError(`${what} ${redactUrl(url.href)} is not allowed (allowed: sources.urls of the server's config)`);
  return url;
}

/** What ffmpeg may open for a source of this scheme (-protocol_whitelist): nothing else, files least of all. */
const PROTOCOLS: Record<string, string[]> = {
  'http:': ['http', 'tcp'],
  'https:': ['https', 'tls', 'tcp'],
  'rtsp:': ['rtsp', 'rtp', 'udp', 'tcp'],
  'rtmp:': ['rtmp', 'tcp'],
  'udp:': ['udp'],
};

/**
 * Each protocol's read timeout (µs) where it is not -rw_timeout; a silent source then ends the read. (rtsp's depends
 * on the ffmpeg's version: windows.ts asks it.)
 */
const TIMEOUT_OPTIONS: Record<string, string> = { 'udp:': '-timeout' };

/** A stream source for ffmpeg, checked against the allow-list. */
export function streamSource(text: string, policy: SourcePolicy): UrlSource {
  const url = allowedUrl(text, policy, 'stream source');
  return { url: url.href, protocols: PROTOCOLS[url.protocol]!, live: true, timeoutOption: TIMEOUT_OPTIONS[url.protocol] };
}

const MAX_REDIRECTS = 5;

/**
 * Fetches an allowed http(s) URL into a private temp file, following redirects only to allowed URLs, up to
 * `maxDownloadBytes`. Returns the file and a function removing it.
 */
export async function downloadVideoUrl(text: string, policy: SourcePolicy, signal?: AbortSignal): Promise<{ file: string; remove: () => Promise<void> }> {
  let url = allowedUrl(text, policy, '"video_url"', ['http:', 'https:']);
  let res: Response | undefined;
  for (let hop = 0; ; hop++) {
    try {
      res = await fetch(url, { redirect: 'manual', signal });
    } catch (e) {
      signal?.throwIfAborted();
      throw inputError(`"video_url" ${redactUrl(url.href)}: cannot fetch (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})`);
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) break;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw inputError(`"video_url": more than ${MAX_REDIRECTS} redirects`);
    url = allowedUrl(new URL(location, url).href, policy, '"video_url" redirect', ['http:', 'https:']);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw inputError(`"video_url" ${redactUrl(url.href)}: HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const limit = policy.maxDownloadBytes;
  const tooLarge = () => inputError(`"video_url" is larger than the server's limit of ${Math.round(limit / 1048576)} MB (sources.max_download_mb)`);
  if (declared > limit) {
    await res.body.cancel();
    throw tooLarge();
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'vidserve-url-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const file = path.join(dir, 'input');
  let bytes = 0;
  try {
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > limit) body.destroy(tooLarge());
    });
    await pipeline(body, createWriteStream(file, { mode: 0o600 }), { signal });
  } catch (e) {
    await remove();
    signal?.throwIfAborted();
    if (bytes > limit) throw tooLarge();
    throw inputError(`"video_url" ${redactUrl(url.href)}: download failed (${(e as Error).message})`);
  }
  return { file, remove };
}
