// Live streams: a source served locally by ffmpeg (MPEG-TS over UDP, in real time) is classified continuously;
// results arrive as server-sent events and in the pollable ring, and the session survives the source restarting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { ffmpegPath } from '../src/video/ffmpeg.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { startTestServer } from './serving-fixtures.ts';
import { contentModel } from './support/content-model.ts';

let server: RunningServer;
let udpPort = 0;
let sender: ChildProcess | undefined;
const base = () => `http://127.0.0.1:${server.httpPort}`;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A live source: test patterns at 10 fps in real time, as MPEG-TS over UDP, until stopped. */
function startSender(pattern: string): ChildProcess {
  return spawn(
    ffmpegPath(),
    ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', `${pattern}=size=96x64:rate=10`, '-c:v', 'mpeg2video', '-f', 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`],
    { stdio: 'ignore' },
  );
}

async function stopSender(): Promise<void> {
  const s = sender;
  sender = undefined;
  if (!s || s.exitCode !== null) return;
  const exited = new Promise((resolve) => s.once('exit', resolve));
  s.kill('SIGKILL');
  await exited;
}

before(async () => {
  udpPort = await freeUdpPort();
  const model = await contentModel();
  server = await startTestServer(model.servingDir, {
    top: {
      sources: { urls: [`udp://127.0.0.1:${udpPort}`] },
      streams: { enabled: true, max_streams: 1, ring: 50, read_timeout_ms: 1000, reconnect_min_ms: 200, reconnect_max_ms: 1000 },
    },
  });
});

after(async () => {
  await stopSender();
  await server?.close();
});

interface Sse {
  events: Array<{ id: number; event: string; data: Record<string, unknown> }>;
  /** Resolves when an event satisfying `pred` has arrived (or rejects after `ms`). */
  until(pred: (e: Sse['events'][number]) => boolean, ms: number, what: string): Promise<Sse['events'][number]>;
  ended: Promise<void>;
  close(): void;
}

/** Reads GET /streams/{id}/events as a server-sent-event client would. */
async function subscribe(id: string, lastEventId?: number): Promise<Sse> {
  const ac = new AbortController();
  const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) };
  const res = await fetch(`${base()}/streams/${id}/events`, { signal: ac.signal, headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: Sse['events'] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const field = (k: string) => block.split('\n').find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2);
          const data = field('data');
          if (data === undefined) continue;
          events.push({ id: Number(field('id')), event: field('event') ?? 'message', data: JSON.parse(data) as Record<string, unknown> });
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    ended,
    close: () => ac.abort(),
    until: (pred, ms, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${what} within ${ms} ms; events: ${JSON.stringify(events.map((e) => e.data)).slice(0, 2000)}`));
        }, ms);
        const check = () => {
          const e = events.find(pred);
          if (!e) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(e);
        };
        waiters.add(check);
        check();
      }),
  };
}

const post = (body: unknown) => fetch(`${base()}/streams`, { method: 'POST', body: JSON.stringify(body) });

test('a UDP source is classified continuously, pushed as events, kept in the ring, and survives a restart', async () => {
  sender = startSender('testsrc');
  const created = await post({ source: `udp://127.0.0.1:${udpPort}`, window: 1, stride: 1, topk: 2 });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  assert.equal(created.headers.get('location'), `/streams/${id}`);
  const sse = await subscribe(id);
  try {
    // Windows of the first connection.
    await sse.until((e) => e.event === 'window' && e.data.connection === 1 && (e.data.start as number) >= 1, 20_000, 'two windows');
    const w = sse.events.find((e) => e.event === 'window')!.data;
    assert.equal((w.end as number) - (w.start as number), 1);
    assert.equal((w.topk as unknown[]).length, 2);
    assert.ok(typeof w.label === 'string' && (w.prob as number) > 0);
    // The source goes away: ffmpeg's read times out, the session says it reconnects...
    await stopSender();
    await sse.until((e) => e.event === 'status' && e.data.state === 'reconnecting', 10_000, 'reconnecting status');
    // ...and the source comes back (other content): windows of a later connection arrive.
    sender = startSender('smptebars');
    const again = await sse.until((e) => e.event === 'window' && (e.data.connection as number) >= 2, 30_000, 'windows after the restart');
    assert.ok((again.data.connection as number) >= 2);

    // The same events can be polled, and after= gives only newer ones.
    const polled = (await (await fetch(`${base()}/streams/${id}`)).json()) as { state: string; connections: number; windows: number; events: Array<{ seq: number; type: string }>; segments: unknown[] };
    assert.ok(polled.connections >= 2 && polled.windows >= 3, JSON.stringify(polled).slice(0, 500));
    assert.ok(polled.events.some((e) => e.type === 'window'));
    assert.ok(polled.segments.length >= 1);
    const last = polled.events[polled.events.length - 1]!.seq;
    const newer = (await (await fetch(`${base()}/streams/${id}?after=${last - 1}`)).json()) as { events: Array<{ seq: number }> };
    assert.deepEqual(newer.events.map((e) => e.seq), [last]);
    // Event ids are the ring's sequence numbers; a client reconnecting with Last-Event-ID gets only what followed.
    for (const e of sse.events) assert.equal(e.id, e.data.seq);
    const resumed = await subscribe(id, last - 1);
    try {
      const first = await resumed.until(() => true, 5_000, 'a resumed event');
      assert.equal(first.id, last);
    } finally {
      resumed.close();
    }

    const list = (await (await fetch(`${base()}/streams`)).json()) as { streams: Array<{ id: string; source: string }> };
    assert.deepEqual(list.streams.map((s) => s.id), [id]);
    // One stream at most (max_streams 1).
    const second = await post({ source: `udp://127.0.0.1:${udpPort}`, window: 1 });
    assert.equal(second.status, 503);

    const del = await fetch(`${base()}/streams/${id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await sse.until((e) => e.event === 'status' && e.data.state === 'stopped', 10_000, 'stopped status');
    await sse.ended;
    assert.equal((await fetch(`${base()}/streams/${id}`)).status, 404);
  } finally {
    sse.close();
    await stopSender();
  }
});

test('stream requests the allow-list or the body refuses: 400 with err_no 5000', async () => {
  for (const body of [
    { source: 'udp://127.0.0.1:9', window: 1 },
    { source: 'file:///etc/passwd', window: 1 },
    { source: `udp://127.0.0.1:${udpPort}` },
    { source: `udp://127.0.0.1:${udpPort}`, window: -1 },
    { source: `udp://127.0.0.1:${udpPort}`, window: 1, command: 'x' },
  ]) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(((await r.json()) as { err_no: number }).err_no, 5000);
  }
  const notJson = await fetch(`${base()}/streams`, { method: 'POST', body: 'source=x' });
  assert.equal(notJson.status, 400);
  assert.equal((await fetch(`${base()}/streams/nope`)).status, 404);
});
