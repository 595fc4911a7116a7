// A decode that failed because ffmpeg (or the helper that started it) was stopped from outside — a signal to the
// process group, a killed helper — and not because of the video: trying again is expected to work.
export class FfmpegInterruptedError extends Error {
  override name = 'FfmpegInterruptedError';
  readonly code = 'FFMPEG_INTERRUPTED';
}

/** Why a finished ffmpeg run was stopped from outside, if it was: a signal we did not send (ours are SIGKILL). */
export function interruption(run: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): string | undefined {
  if (run.signal && run.signal !== 'SIGKILL') return `ffmpeg was stopped by ${run.signal}`;
  // ffmpeg catches SIGINT/SIGTERM/SIGQUIT, stops early and says so ("Exiting normally, received signal 15.").
  const m = run.code !== 0 ? /received signal (\d+)/.exec(run.stderr) : null;
  return m ? `ffmpeg was stopped by signal ${m[1]}` : undefined;
}
