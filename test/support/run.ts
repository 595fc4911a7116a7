// Runs a child process to completion and collects its output (npm's config warnings dropped from stderr).
import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], opts: Pick<SpawnOptions, 'cwd' | 'env'> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c));
    child.stderr!.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^npm warn .*\n/gm, '') }));
  });
}

/** This checkout's CLI, bin/vidserve.js. */
export const VIDSERVE = fileURLToPath(new URL('../../bin/vidserve.js', import.meta.url));

/** Runs `vidserve <args>` with this Node. */
export function vidserve(args: string[], opts: Pick<SpawnOptions, 'cwd' | 'env'> = {}): Promise<Run> {
  return run(process.execPath, [VIDSERVE, ...args], opts);
}
