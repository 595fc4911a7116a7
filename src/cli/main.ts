// The `vidserve` command line: each command lives in its own module and registers itself.
import { Command } from 'commander';

const program = new Command('vidserve')
  .description('Serve PaddleVideo action-recognition models (PP-TSM, PP-TSN) from Node.js')
  .version('0.1.0');

// One module per command; each exports register(program).
const commands = ['convert', 'make-params', 'make-model', 'preprocess', 'serve', 'client', 'demo', 'predict'] as const;
for (const name of commands) {
  const mod = (await import(`./${name}.ts`)) as { register(p: Command): void };
  mod.register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // CLI errors are one clear line, never a stack trace (set VIDSERVE_DEBUG=1 for the stack).
  const e = err as Error;
  console.error(`vidserve: ${e.message}`);
  if (process.env.VIDSERVE_DEBUG) console.error(e.stack);
  process.exitCode = process.exitCode || 1;
}
