// Third-party reference data beside the checkout (../shared: PaddleVideo's golden preprocessing outputs, the real
// PP-TSM export, example.avi, the Kinetics-400 label list). It is never copied into the repository, so a fresh clone
// has none of it: tests that compare against it skip with one line naming the missing path, and everything else runs
// on data the tests make (make-model pptsm is the real graph op for op, ffmpeg renders clips, params are seeded).
//
// Use it as the options of a test or, for several tests, of one describe (a skipped describe prints one line):
//
//   describe('against PaddleVideo's golden outputs', needsShared(SHARED.golden, SHARED.exampleAvi), () => { ... });
//
// Read reference files inside the tests or their hooks, never at import time. CI (.ci/run) sets
// VIDSERVE_REQUIRE_SHARED=1 where ../shared exists: there a missing path throws instead of skipping, so no
// reference test can be skipped silently.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DIR = path.resolve(REPO, '..', 'shared');

export const SHARED = {
  /** ../shared itself. */
  dir: DIR,
  /** PaddleVideo's preprocessing outputs for example.avi and the resize/sampler cases (see its README). */
  golden: path.join(DIR, 'golden'),
  /** PaddleVideo's example video. */
  exampleAvi: path.join(DIR, 'data', 'example.avi'),
  /** The real PP-TSM inference graph (ppTSM.zip's .pdmodel; no weights). */
  ppTSMModel: path.join(DIR, 'data', 'ppTSM', 'ppTSM.pdmodel'),
  /** Kinetics-400's label list ('<index> <name>' per line). */
  k400Labels: path.join(DIR, 'data', 'Kinetics-400_label_list.txt'),
} as const;

/** A file in ../shared/golden. */
export function goldenFile(name: string): string {
  return path.join(SHARED.golden, name);
}

/** Whether CI demands the reference data (VIDSERVE_REQUIRE_SHARED=1). */
export const SHARED_REQUIRED = process.env.VIDSERVE_REQUIRE_SHARED === '1';

/**
 * Options for `test(name, options, fn)` or `describe(name, options, fn)`: `{}` when every path exists, else
 * `{ skip: 'missing ../shared/...' }` naming the first missing one. With VIDSERVE_REQUIRE_SHARED=1 a missing path
 * throws (the test file fails) instead.
 */
export function needsShared(...paths: string[]): { skip?: string } {
  const missing = paths.find((p) => !existsSync(p));
  if (missing === undefined) return {};
  const shown = path.relative(REPO, missing);
  if (SHARED_REQUIRED) throw new Error(`VIDSERVE_REQUIRE_SHARED=1 but the reference data ${shown} is missing`);
  return { skip: `missing ${shown}` };
}
