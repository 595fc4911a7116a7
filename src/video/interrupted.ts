// A decode that failed because ffmpeg (or the helper that started it) was stopped from outside — a signal to the
// process group, a killed helper — and not because of the video: trying again is expected to work.
// It is a ServingError with the internal code wherever it surfaces (a prediction retried twice, a timeline whose
// windows may already have been answered and so is not run again): never 5000, which tells users their input is wrong.
import { ErrorCode, ServingError } from '../errors.ts';

export class FfmpegInterruptedError extends ServingError {
  override name = 'FfmpegInterruptedError';

  constructor(readonly why: string) {
    super(ErrorCode.UNKNOWN, `video decoding was interrupted (${why}); the input was not the cause, retry the request`);
  }
}

/** Why a finished ffmpeg run was stopped from outside, if it was: a signal we did not send (ours are SIGKILL). */
export function interruption(run: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): string | undefined {
  if (run.signal && run.signal !== 'SIGKILL') return `ffmpeg was stopped by ${run.signal}`;
  // ffmpeg catches SIGINT/SIGTERM/SIGQUIT, stops early and says so ("Exiting normally, received signal 15.").
  const m = run.code !== 0 ? /received signal (\d+)/.exec(run.stderr) : null;
  return m ? `ffmpeg was stopped by signal ${m[1]}` : undefined;
}
