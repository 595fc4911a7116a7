// A request's deadline (op.ts): op.timeout from the start; for timelines op.timeout again after each batch of windows
// (the time allowed grows with the video), and a request's own timeout_ms replaces both. Also the timeline's progress
// log, at most one line per 5 s. Timers are mocked: nothing here waits for real time.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../src/serving/op.ts';
import { ServingError, ErrorCode } from '../src/errors.ts';
import { timelineProgressLog } from '../src/serving/timeline-log.ts';
import type { HandlerContext } from '../src/serving/handler.ts';

/** Whether the deadline has expired by now (its promise settles at once when rejected). */
async function expired(d: Deadline): Promise<ServingError | undefined> {
  return Promise.race([d.expired.then(() => undefined, (e: ServingError) => e), new Promise<undefined>((r) => setImmediate(() => r(undefined)))]);
}

test('op.timeout counts from the start; each batch of windows re-arms it; the request is cancelled when it expires', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const cancel = new AbortController();
  const d = new Deadline('video', 1000, performance.now(), cancel);
  t.mock.timers.tick(800);
  d.progress();
  t.mock.timers.tick(800);
  d.progress();
  t.mock.timers.tick(800);
  assert.equal(await expired(d), undefined, '2.4 s in all, but never 1 s without a batch');
  assert.equal(cancel.signal.aborted, false);
  t.mock.timers.tick(200);
  const e = await expired(d);
  assert.ok(e instanceof ServingError);
  assert.equal(e.code, ErrorCode.TIMEOUT);
  assert.match(e.message, /no batch of windows finished within timeout 1000 ms/);
  assert.equal(cancel.signal.aborted, true);
  d.clear();
});

test('without progress op.timeout is the whole request’s; timeout_ms replaces it and batches do not extend it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const plain = new Deadline('video', 1000, performance.now(), new AbortController());
  t.mock.timers.tick(1000);
  assert.match((await expired(plain))!.message, /did not finish within timeout 1000 ms/);

  const own = new Deadline('video', 1000, performance.now(), new AbortController());
  own.requested(5000);
  t.mock.timers.tick(3000);
  own.progress();
  assert.equal(await expired(own), undefined, 'timeout_ms 5000 outlasts op.timeout 1000');
  t.mock.timers.tick(2000);
  assert.match((await expired(own))!.message, /the request's timeout_ms 5000/);

  const none = new Deadline('video', 0, performance.now(), new AbortController());
  none.progress();
  t.mock.timers.tick(1e9);
  assert.equal(await expired(none), undefined, 'op.timeout 0 or -1: no deadline');
});

test('timeline progress: one log line per 5 s at most, with windows, seconds of video and speed', () => {
  let now = 1000;
  mock.method(performance, 'now', () => now);
  try {
    const lines: string[] = [];
    const ctx = { op: { opts: { name: 'video' } }, logger: { info: (_o: unknown, msg: string) => lines.push(msg) } } as unknown as HandlerContext;
    const progress = timelineProgressLog(ctx, 7, 'http');
    now += 4000;
    progress({ windows: 10, seconds: 12, elapsedMs: 4000 });
    assert.equal(lines.length, 0, 'not before 5 s');
    now += 2000;
    progress({ windows: 15, seconds: 18, elapsedMs: 6000 });
    now += 1000;
    progress({ windows: 16, seconds: 19, elapsedMs: 7000 });
    assert.deepEqual(lines, ['rid=7 http /video timeline in progress: 15 windows, 18.0 s of video in 6.0 s (3.00x real time)']);
  } finally {
    mock.restoreAll();
  }
});
