// The bench's pure helpers: order statistics, ratios, the config it writes, and reading the server's log lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { median, percentile, ratio, round, summarize } from '../bench/lib/stats.ts';
import { readRequestLog, serverConfigYaml } from '../bench/lib/server.ts';
import { parseServingConfig } from '../src/serving/config.ts';

test('percentile interpolates between closest ranks like numpy', () => {
  const xs = [15, 20, 35, 40, 50];
  // numpy.percentile(xs, [0, 25, 50, 90, 100]) = 15, 20, 35, 46, 50
  assert.equal(percentile(xs, 0), 15);
  assert.equal(percentile(xs, 25), 20);
  assert.equal(percentile(xs, 50), 35);
  assert.ok(Math.abs(percentile(xs, 90) - 46) < 1e-12);
  assert.equal(percentile(xs, 100), 50);
  // order does not matter; the input is not mutated
  const shuffled = [50, 15, 40, 20, 35];
  assert.equal(percentile(shuffled, 50), 35);
  assert.deepEqual(shuffled, [50, 15, 40, 20, 35]);
  assert.equal(median([1, 2, 3, 4]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
  assert.throws(() => percentile(xs, 101), /0\.\.100/);
});

test('summarize, ratio and round', () => {
  const s = summarize([3, 1, 2, 10]);
  assert.deepEqual({ n: s.n, p50: s.p50, min: s.min, max: s.max }, { n: 4, p50: 2.5, min: 1, max: 10 });
  assert.ok(Math.abs(s.p90 - 7.9) < 1e-12);
  assert.equal(ratio(3, 2), 1.5);
  assert.equal(ratio(3, 0), null);
  assert.equal(ratio(null, 2), null);
  assert.equal(ratio(NaN, 2), null);
  assert.equal(round(1.23456, 3), 1.235);
  assert.equal(round(NaN), null);
});

test('the config the bench writes is a valid pipeline config on the CPU with the asked batching', () => {
  const text = serverConfigYaml({ servingDir: '/models/x', concurrency: 2, batchSize: 4, autoBatchingTimeoutMs: 100, queueSize: 16 });
  const conf = parseServingConfig(parseYaml(text), 'bench.yaml');
  const op = conf.ops[0]!;
  assert.equal(op.name, 'video');
  assert.equal(op.concurrency, 2);
  assert.equal(op.batchSize, 4);
  assert.equal(op.autoBatchingTimeoutMs, 100);
  assert.equal(op.localServiceConf.device, 'cpu');
  assert.equal(op.localServiceConf.modelConfig, '/models/x');
  assert.deepEqual(op.localServiceConf.fetchList, ['outputs']);
  assert.equal(conf.httpPort, 0);
  assert.equal(conf.notes.filter((n) => n.level === 'warn').length, 0);
});

test('readRequestLog keeps successful request lines by logid with their stage timings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vidserve-bench-log-'));
  const file = path.join(dir, 'pipeline.log');
  const lines = [
    JSON.stringify({ level: 30, msg: 'warm-up inference took 800 ms', warmup_ms: 800 }),
    JSON.stringify({ level: 30, rid: 1, logid: '42', protocol: 'http', batch: 1, err_no: 0, timings: { receive: 3, parse: 0.3, infer: 800.5, total: 900 } }),
    JSON.stringify({ level: 40, rid: 2, op: 'video', protocol: 'grpc', err_no: 5000, err_msg: 'bad', timings: { total: 1 } }),
    'not json',
    JSON.stringify({ level: 30, rid: 3, logid: '43', protocol: 'grpc', batch: 2, err_no: 0, timings: { parse: 1, infer: 700, total: 750 } }),
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  const m = readRequestLog(file);
  assert.deepEqual([...m.keys()], ['42', '43']);
  assert.equal(m.get('42')!.timings.infer, 800.5);
  assert.equal(m.get('42')!.protocol, 'http');
  assert.equal(m.get('43')!.batch, 2);
  assert.equal(readRequestLog(path.join(dir, 'missing.log')).size, 0);
});

test('completionRate reads the answer spacing, batches included', async () => {
  const { completionRate } = await import('../bench/lib/stats.ts');
  // one answer every 500 ms: 2 per second, whatever the window's edges
  assert.deepEqual(completionRate([1000, 1500, 2000, 2500]), { answers: 3, spanMs: 1500 });
  // batches of 2 every 1000 ms (answers 1 ms apart): still 2 per second
  const r = completionRate([100, 101, 1100, 1101, 2100, 2101])!;
  assert.equal(r.answers / (r.spanMs / 1000), 4 / 2.001);
  // batches of 3 every 1200 ms whose answers leave 30 ms apart (one HTTP reply after another): 2.5 per second
  const spread = completionRate([0, 30, 60, 1200, 1230, 1260, 2400, 2430, 2460])!;
  assert.equal(spread.answers, 6);
  assert.ok(Math.abs(spread.answers / (spread.spanMs / 1000) - 2.5) < 0.1);
  assert.equal(completionRate([5]), null);
  assert.equal(completionRate([5, 6]), null);
});

test('readCpuMs counts the CPU of live descendants (ffmpeg runs under a helper that outlives it)', { skip: process.platform !== 'linux' }, async () => {
  const { spawn } = await import('node:child_process');
  const { readCpuMs } = await import('../bench/lib/server.ts');
  // A parent that only waits, whose live child burns 300 ms of CPU, reports its pid, and idles until killed.
  const child = `const c = process.cpuUsage(); while ((process.cpuUsage(c).user + process.cpuUsage(c).system) < 300000) {} console.log('burnt ' + process.pid); setInterval(() => {}, 1000);`;
  const parent = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: ['ignore', 'inherit', 'ignore'] }); setInterval(() => {}, 1000);`;
  const p = spawn(process.execPath, ['-e', parent], { stdio: ['ignore', 'pipe', 'ignore'] });
  let grandchild = 0;
  try {
    grandchild = await new Promise<number>((resolve) => p.stdout!.on('data', (d: Buffer) => {
      const m = /burnt (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    }));
    const ms = readCpuMs(p.pid!);
    assert.ok(ms !== null && ms >= 250, `counted ${ms} ms`);
  } finally {
    if (grandchild) process.kill(grandchild, 'SIGKILL');
    p.kill('SIGKILL');
    p.stdout!.destroy();
  }
});
