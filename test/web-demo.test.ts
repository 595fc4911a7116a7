// `vidserve demo --keep`: prints the web page's URL, keeps serving it after the predictions, stops cleanly on Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../src/cli/demo.ts';
import { cliArgs } from '../src/cli/self.ts';

test('vidserve demo --keep serves the page at the URL it prints until SIGINT, then exits 0', { timeout: 600_000 }, async () => {
  const child = spawn(process.execPath, cliArgs(['demo', '--keep']), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /^Serving (http:\/\/127\.0\.0\.1:\d+\/) — open it in a browser/m.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`demo exited before serving:\n${out}`));
        }
      }, 200);
    });
    // The URL was printed when the server came up, before the predictions.
    assert.match(out, new RegExp(`^Web page: ${url.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.equal((out.match(/^ {2}(HTTP|gRPC) (frames|video) +label=/gm) ?? []).length, 4, out);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>vidserve/);
    const status = (await (await fetch(`${url}ui/status`)).json()) as { pipeline: string; model: { input: { shape: number[] } } };
    assert.equal(status.pipeline, 'PPTSM');
    assert.deepEqual(status.model.input.shape, [1, 8, 3, 224, 224]);
    // Still serving a moment later: --keep does not stop after the predictions.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(child.exitCode, null);
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /Server stopped\./);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
