// Runs a child process to completion and collects its output (npm's config warnings dropped from stderr).
import { spawn, type SpawnOptions } from 'node:child_process';
import { cliArgs } from '../../src/cli/self.ts';

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

/** Runs `vidserve <args>` with this Node: this checkout's TypeScript sources (as the tests themselves run). */
export function vidserve(args: string[], opts: Pick<SpawnOptions, 'cwd' | 'env'> = {}): Promise<Run> {
  return run(process.execPath, cliArgs(args), opts);
}
