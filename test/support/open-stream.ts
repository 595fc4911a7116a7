// `node --import tsx test/support/open-stream.ts URL`: opens URL as a live stream source the way the server does
// (allow-listed, its protocol whitelist and read timeout) with the ffmpeg of $FFMPEG_PATH, and prints the error ffmpeg
// ends with (the tests point it at a closed port, so there is always one).
import { streamSource } from '../../src/serving/sources.ts';
import { PIPELINES } from '../../src/video/pipelines.ts';
import { forEachWindow } from '../../src/video/windows.ts';

const url = process.argv[2]!;
try {
  await forEachWindow(PIPELINES.PPTSM, streamSource(url, { paths: [], urls: [url], maxDownloadBytes: 0 }), { window: 1, stride: 1, readTimeoutMs: 2000, onWindow: () => {} });
  console.log('no error');
} catch (e) {
  console.log((e as Error).message);
}
