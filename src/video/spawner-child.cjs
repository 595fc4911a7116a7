// The ffmpeg spawner process (see spawner.ts): small, so starting ffmpeg from it is cheap. It forks nothing else
// and copies no data: for each job it connects twice to its parent's unix socket (ffmpeg's stdout and stderr),
// hands those sockets to ffmpeg as fd 1 and 2, and reports the exit over IPC. Plain CommonJS: no loader needed.
'use strict';
const { spawn } = require('node:child_process');
const { rmSync } = require('node:fs');
const net = require('node:net');
const { basename, dirname } = require('node:path');

const socketPath = process.argv[2];
const running = new Map();
const connecting = new Set();
const killedEarly = new Set();

function connect(id, role) {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socketPath);
    s.once('error', reject);
    s.once('connect', () => s.write(`${id} ${role}\n`, (err) => (err ? reject(err) : resolve(s))));
  });
}

// A signal to the whole process group (Ctrl-C in a terminal, `kill -- -PGID`) is for the server, which finishes its
// in-flight requests before it exits; those may still need this helper. It leaves when its parent does (below).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('SIGHUP', () => {});

function report(msg) {
  if (process.connected) process.send(msg);
}

async function start(job) {
  let out;
  let err;
  connecting.add(job.id);
  try {
    [out, err] = await Promise.all([connect(job.id, 'out'), connect(job.id, 'err')]);
  } catch (e) {
    connecting.delete(job.id);
    killedEarly.delete(job.id);
    report({ id: job.id, error: `ffmpeg spawner could not connect: ${e.message}` });
    return;
  }
  connecting.delete(job.id);
  if (killedEarly.delete(job.id)) {
    out.destroy();
    err.destroy();
    report({ id: job.id, exit: [null, 'SIGKILL'] });
    return;
  }
  let child;
  try {
    // detached: ffmpeg leads a process group of its own, so a signal to the server's group does not cut a decode short.
    // It cannot outlive the server for long: its output sockets close with the server, and this helper kills it.
    child = spawn(job.bin, job.args, { stdio: ['ignore', out, err], detached: true });
  } catch (e) {
    out.destroy();
    err.destroy();
    report({ id: job.id, error: e.message, code: e.code });
    return;
  }
  // ffmpeg holds its own copies of the sockets; ours are closed so that its exit ends the streams.
  out.destroy();
  err.destroy();
  running.set(job.id, child);
  child.once('error', (e) => {
    running.delete(job.id);
    report({ id: job.id, error: e.message, code: e.code });
  });
  child.once('exit', (code, signal) => {
    running.delete(job.id);
    report({ id: job.id, exit: [code, signal] });
  });
}

process.on('message', (m) => {
  if (m.kill !== undefined) {
    const child = running.get(m.kill);
    if (child) child.kill('SIGKILL');
    else if (connecting.has(m.kill)) killedEarly.add(m.kill);
    return;
  }
  void start(m);
});

// The parent is gone: nothing started here may outlive it.
// The socket's private directory goes with it (the parent thread may have been terminated without cleaning up).
process.on('disconnect', () => {
  for (const child of running.values()) child.kill('SIGKILL');
  const dir = dirname(socketPath);
  if (/^vidserve-spawn-/.test(basename(dir))) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
