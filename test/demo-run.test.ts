// `vidserve demo` (the README's main command) end to end: model build/convert (cached in models/), a real server
// child process, four predictions, clean shutdown; and a clear failure for a missing input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO_ROOT } from '../src/cli/demo.ts';
import { vidserve, type Run } from './support/run.ts';

function demo(args: string[]): Promise<Run> {
  return vidserve(['demo', ...args], { cwd: REPO_ROOT });
}

test('vidserve demo prints four answers with latency, says the weights are synthetic, exits 0', async () => {
  const r = await demo([]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const answers = r.stdout.split('\n').filter((l) => /^ {2}(HTTP|gRPC) (frames|video)/.test(l));
  assert.equal(answers.length, 4, r.stdout);
  for (const a of answers) assert.match(a, /label=\S+ {2}prob=[0-9.e-]+ {2}\(\d+ ms\)$/);
  assert.deepEqual(answers.map((a) => a.trim().split(/\s+/).slice(0, 2).join(' ')), ['HTTP frames', 'HTTP video', 'gRPC frames', 'gRPC video']);
  assert.match(r.stdout, /SYNTHETIC/);
  assert.match(r.stdout, /npx vidserve convert --dirname inference\/ppTSM .*--fetch_alias outputs/);
  assert.match(r.stdout, /npx vidserve serve -n PPTSM -c configs\/PP-TSM\.yaml/);
  assert.match(r.stdout, /Server stopped\./);
});

test('vidserve demo -i with a missing file fails at once with one clear line', async () => {
  const r = await demo(['-i', path.join(REPO_ROOT, 'no-such-video.mp4')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^vidserve demo: .*no-such-video\.mp4: no such file$/m);
});
