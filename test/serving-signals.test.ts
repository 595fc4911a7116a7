// Signals and the ffmpeg helper (src/video/spawner*.ts) in a real `vidserve serve` process group (the demo's
// synthetic-weight PP-TSM): a helper killed mid-decode is replaced and its request retried; SIGTERM to the whole
// group (Ctrl-C, `kill -- -PGID`, systemd's KillMode=control-group) lets every in-flight video request finish.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_DIRS, ensureDemoModel, REPO_ROOT, startServer, type ServerProcess } from '../src/cli/demo.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import type { PipelineResponse } from '../src/protocol/types.ts';

let server: ServerProcess | undefined;
let tmp: string;
let video: string;
let body: string;

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

/** Every process on the machine: pid, parent pid, command line. */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      out.push({ pid: Number(name), ppid, cmd });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

const helpersOf = (pid: number): Proc[] => processes().filter((p) => p.ppid === pid && p.cmd.includes('spawner-child.cjs'));
const ffmpegsOf = (helpers: Proc[]): Proc[] => processes().filter((p) => helpers.some((h) => h.pid === p.ppid) && /ffmpeg/.test(p.cmd));

async function until<T>(get: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function predict(request = body): Promise<PipelineResponse> {
  return fetch(`http://127.0.0.1:${server!.httpPort}/video/prediction`, { method: 'POST', body: request }).then((r) => r.json() as Promise<PipelineResponse>);
}

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-signals-'));
  await ensureDemoModel(() => {});
  // 20 s of 640x480: decoding it takes long enough to be caught in the middle.
  const clip = path.join(tmp, 'long.mp4');
  const r = await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc=duration=20:size=640x480:rate=25', '-c:v', 'mpeg4', '-q:v', '5', clip]);
  assert.equal(r.code, 0, r.stderr);
  video = (await readFile(clip)).toString('base64');
  body = JSON.stringify({ key: ['video'], value: [video] });
  server = await startServer({ name: 'PPTSM', config: path.join(REPO_ROOT, 'configs', 'PP-TSM.yaml'), cwd: DEMO_DIRS.root, detached: true });
});

after(async () => {
  if (server) await server.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('a helper killed while its ffmpeg decodes: the request is retried with a new helper and answered err_no 0', async () => {
  const pending = predict();
  const ffmpeg = await until(() => ffmpegsOf(helpersOf(server!.child.pid!))[0], 120_000, 'an ffmpeg under a helper');
  process.kill(ffmpeg.ppid, 'SIGKILL');
  const r = await pending;
  assert.equal(r.err_no, 0, r.err_msg);
  assert.ok(!processes().some((p) => p.pid === ffmpeg.ppid), 'the killed helper is gone');
});

test('a helper killed during a timeline: answered with an internal error (10000), never 5000 (the input was fine)', async () => {
  // A timeline's windows may already have been answered, so it is not run again: the user is told to retry.
  const pending = predict(JSON.stringify({ key: ['video', 'window'], value: [video, '2'] }));
  const ffmpeg = await until(() => ffmpegsOf(helpersOf(server!.child.pid!))[0], 120_000, 'an ffmpeg under a helper');
  process.kill(ffmpeg.ppid, 'SIGKILL');
  const r = await pending;
  assert.deepEqual([r.err_no, r.err_msg], [10000, '[video] video decoding was interrupted (ffmpeg spawner exited (SIGKILL)); the input was not the cause, retry the request']);
  // ffmpeg itself stopped by a signal we did not send (ours are SIGKILL): the same.
  const next = predict(JSON.stringify({ key: ['video', 'window'], value: [video, '2'] }));
  const own = await until(() => ffmpegsOf(helpersOf(server!.child.pid!))[0], 120_000, 'an ffmpeg under a new helper');
  process.kill(own.pid, 'SIGTERM');
  const s = await next;
  assert.equal(s.err_no, 10000, s.err_msg);
  assert.match(s.err_msg, /^\[video\] video decoding was interrupted \(ffmpeg was stopped by (SIGTERM|signal 15) while decoding .*\); the input was not the cause/);
});

test('SIGTERM to the whole process group: 4 video requests in flight all answer err_no 0, the server exits 0', async () => {
  const pid = server!.child.pid!;
  const answers = Promise.all([predict(), predict(), predict(), predict()]);
  // Both preprocessing workers' helpers are decoding when the signal lands.
  await until(() => ffmpegsOf(helpersOf(pid)).length >= 2, 120_000, 'two ffmpeg decodes in flight');
  const helpers = helpersOf(pid);
  process.kill(-pid, 'SIGTERM');
  const all = await answers;
  assert.deepEqual(all.map((a) => [a.err_no, a.err_msg]), Array(4).fill([0, '']));
  assert.equal(await server!.stop(), 0, server!.output());
  server = undefined;
  // The helpers ignored the signal and left with their parent.
  await until(() => !processes().some((p) => helpers.some((h) => h.pid === p.pid)), 30_000, 'the helpers gone with the server');
});
