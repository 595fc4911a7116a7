// Config for long videos and live streams (vidserve additions to the seed's YAML, all optional, all off by default):
//
//   sources:                       # what requests may name instead of uploading bytes
//     paths: [/data/videos]        # directories: "video_path" must lie inside one (symlinks resolved)
//     urls: ["https://media.example.com/clips/", "rtsp://10.0.0.5/"]   # URL prefixes: "video_url", streams
//     max_download_mb: 4096        # a "video_url" is fetched to a temp file of at most this size
//   timeline:
//     batch: 4                     # windows per model run (fewer when a window's input is large, e.g. PP-TSN)
//     threshold: 0                 # default confidence threshold for segments
//     max_windows: 100000
//     max_timeout_ms: 3600000      # largest "timeout_ms" a request may ask for
//   streams:
//     enabled: false
//     max_streams: 2
//     ring: 1000                   # results kept per stream for polling
//     reconnect_min_ms: 500
//     reconnect_max_ms: 30000
//     read_timeout_ms: 10000       # a source silent this long counts as dropped
export interface SourcePolicy {
  /** Absolute directories. */
  paths: string[];
  /** URL prefixes. */
  urls: string[];
  maxDownloadBytes: number;
}

export interface TimelineConf {
  batch: number;
  threshold: number;
  maxWindows: number;
  maxTimeoutMs: number;
}

export interface StreamsConf {
  enabled: boolean;
  maxStreams: number;
  ring: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  readTimeoutMs: number;
}

export interface LongConf {
  sources: SourcePolicy;
  timeline: TimelineConf;
  streams: StreamsConf;
}

/** The top-level keys this file reads. */
export const LONG_KEYS = ['sources', 'timeline', 'streams'] as const;

export const DEFAULT_LONG_CONF: LongConf = {
  sources: { paths: [], urls: [], maxDownloadBytes: 4096 * 1024 * 1024 },
  timeline: { batch: 4, threshold: 0, maxWindows: 100_000, maxTimeoutMs: 3_600_000 },
  streams: { enabled: false, maxStreams: 2, ring: 1000, reconnectMinMs: 500, reconnectMaxMs: 30_000, readTimeoutMs: 10_000 },
};

type Dict = Record<string, unknown>;

/** Reads the keys from the YAML's top level; `fail` throws the config's error for a key path. */
export function parseLongConf(top: Dict, fail: (keyPath: string, msg: string) => never): LongConf {
  const dict = (key: string, known: string[]): Dict => {
    const v = top[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(key, 'must be a mapping');
    for (const k of Object.keys(v as Dict)) if (!known.includes(k)) fail(`${key}.${k}`, `unknown key (known: ${known.join(', ')})`);
    return v as Dict;
  };
  const num = (d: Dict, key: string, at: string, def: number, min: number, max = Infinity, int = true): number => {
    const v = d[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max)
      fail(`${at}.${key}`, `must be ${int ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const list = (d: Dict, key: string, at: string): string[] => {
    const v = d[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(`${at}.${key}`, 'must be a list of non-empty strings');
    return v as string[];
  };

  const s = dict('sources', ['paths', 'urls', 'max_download_mb']);
  const paths = list(s, 'paths', 'sources');
  for (const p of paths) if (!p.startsWith('/')) fail('sources.paths', `must be absolute directories, got ${JSON.stringify(p)}`);
  const urls = list(s, 'urls', 'sources');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return fail('sources.urls', `not a URL: ${JSON.stringify(u)}`);
    }
    if (!SCHEMES.includes(parsed.protocol)) fail('sources.urls', `${JSON.stringify(u)}: scheme must be one of ${SCHEMES.join(' ')}`);
    if (!parsed.hostname) fail('sources.urls', `${JSON.stringify(u)} names no host`);
  }
  const t = dict('timeline', ['batch', 'threshold', 'max_windows', 'max_timeout_ms']);
  const st = dict('streams', ['enabled', 'max_streams', 'ring', 'reconnect_min_ms', 'reconnect_max_ms', 'read_timeout_ms']);
  if (st.enabled !== undefined && typeof st.enabled !== 'boolean') fail('streams.enabled', 'must be true or false');
  const d = DEFAULT_LONG_CONF;
  const conf: LongConf = {
    sources: { paths, urls, maxDownloadBytes: Math.round(num(s, 'max_download_mb', 'sources', d.sources.maxDownloadBytes / 1048576, 1, 1e6, false) * 1048576) },
    timeline: {
      batch: num(t, 'batch', 'timeline', d.timeline.batch, 1, 256),
      threshold: num(t, 'threshold', 'timeline', d.timeline.threshold, 0, 1, false),
      maxWindows: num(t, 'max_windows', 'timeline', d.timeline.maxWindows, 1),
      maxTimeoutMs: num(t, 'max_timeout_ms', 'timeline', d.timeline.maxTimeoutMs, 1),
    },
    streams: {
      enabled: (st.enabled as boolean | undefined) ?? false,
      maxStreams: num(st, 'max_streams', 'streams', d.streams.maxStreams, 1, 64),
      ring: num(st, 'ring', 'streams', d.streams.ring, 1, 1_000_000),
      reconnectMinMs: num(st, 'reconnect_min_ms', 'streams', d.streams.reconnectMinMs, 1),
      reconnectMaxMs: num(st, 'reconnect_max_ms', 'streams', d.streams.reconnectMaxMs, 1),
      readTimeoutMs: num(st, 'read_timeout_ms', 'streams', d.streams.readTimeoutMs, 100),
    },
  };
  if (conf.streams.reconnectMaxMs < conf.streams.reconnectMinMs) fail('streams.reconnect_max_ms', 'must be >= reconnect_min_ms');
  return conf;
}

/** URL schemes a source may use (http/https also for "video_url"). */
export const SCHEMES = ['http:', 'https:', 'rtsp:', 'rtmp:', 'udp:'];
