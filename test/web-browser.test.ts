// The web page in real headless browsers (Debian's `chromium`, and `firefox-esr` when installed; puppeteer-core drives
// both), served by a real server with the full-size synthetic-weight PP-TSM model: two files chosen at once (a
// rendered clip and a text file named .mp4), upload, 5 bars that match the JSON answer of the same request, 8
// thumbnails, the error with its err_no, the page's own size check, a busy server (upload progress, spinner, err_no
// 3002), a dropped file, the untrained-weights warning, keyboard access and phone width. Screenshots go to the test's temp folder (the path is printed).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import type { Browser, LaunchOptions, Page } from 'puppeteer-core';
import { renderTestClip } from '../src/cli/demo.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { parsePyLiteral } from '../src/client/pyliteral.ts';
import { postJson, servingDir, startTestServer, tempDir } from './serving-fixtures.ts';
import { SHARED } from './support/shared.ts';

interface BrowserKind {
  name: 'chromium' | 'firefox';
  path: string;
  install: string;
  launch: (profile: string) => LaunchOptions;
  /** Whether puppeteer can change the viewport (Firefox ESR's WebDriver BiDi lacks a command setViewport needs). */
  resizable: boolean;
}

const BROWSERS: BrowserKind[] = [
  {
    name: 'chromium',
    path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    install: 'apt-get install -y chromium, or set CHROMIUM_PATH',
    launch: (profile) => ({
      browser: 'chrome',
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
    resizable: true,
  },
  {
    name: 'firefox',
    path: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    install: 'apt-get install -y firefox-esr, or set FIREFOX_PATH',
    launch: (profile) => ({ browser: 'firefox', headless: true, userDataDir: profile, defaultViewport: null, args: ['--width=1100', '--height=900'] }),
    resizable: false,
  },
];

const skipOf = (b: BrowserKind): string | false => {
  if (existsSync(b.path)) return false;
  // CI installs Chromium and sets VIDSERVE_REQUIRE_BROWSER=1: there a missing Chromium fails instead of skipping.
  if (b.name === 'chromium' && process.env.VIDSERVE_REQUIRE_BROWSER === '1') throw new Error(`VIDSERVE_REQUIRE_BROWSER=1 but no chromium at ${b.path} (${b.install})`);
  return `no ${b.name} at ${b.path} (${b.install})`;
};
for (const b of BROWSERS) {
  const why = skipOf(b);
  if (why) console.log(`# web-browser ${b.name} tests skipped: ${why}`);
}
const anyBrowser = BROWSERS.some((b) => !skipOf(b));

let server: RunningServer;
/** The tiny model with room for one request (concurrency 1, queue_size 0): the busy case. */
let oneAtATime: RunningServer;
let dir: string;
let clip: string;
let notVideo: string;

before(async () => {
  if (!anyBrowser) return;
  dir = tempDir('web-browser');
  clip = path.join(dir, 'testsrc.mp4');
  await renderTestClip(clip, 2);
  notVideo = path.join(dir, 'notes.mp4');
  writeFileSync(notVideo, 'these are meeting notes, not a video\n'.repeat(50));
  // Class names make the bars readable: Kinetics-400's when ../shared has them, else made-up ones.
  let labelList: string = SHARED.k400Labels;
  if (!existsSync(labelList)) {
    labelList = path.join(dir, 'labels.txt');
    writeFileSync(labelList, Array.from({ length: 400 }, (_, i) => `${i} action_${i}`).join('\n') + '\n');
  }
  server = await startTestServer(await servingDir('pptsm', { labelList }), { pipeline: 'PPTSM' });
  oneAtATime = await startTestServer(await servingDir('tiny'), { op: { concurrency: 1, queue_size: 0 } });
});

after(async () => {
  await server?.close();
  await oneAtATime?.close();
  if (dir) console.log(`# web-browser screenshots: ${path.join(dir, 'shots')}`);
});

/**
 * Polls `fn` in the page until it returns true. (page.waitForFunction compiles its helper with Function(), which the
 * page's Content-Security-Policy rightly blocks in Firefox; evaluate() calls are not affected.)
 */
async function until(page: Page, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(fn))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${fn.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(path.join(dir, 'shots'), { recursive: true });
  const file = path.join(dir, 'shots', name);
  await page.screenshot({ path: file as `${string}.png`, fullPage: true });
  return file;
}

/**
 * Holds the server's one place: a prediction request whose body never finishes arriving (HTTP admission reserves a
 * place before reading the body). Resolves once the server counts it in flight (GET /metrics takes no place; a
 * probe prediction would, and could get the held request refused).
 */
async function holdThePlace(port: number): Promise<Socket> {
  // A raw socket: the request's head and the body's first bytes go out at once, the rest never does.
  const held = connect({ host: '127.0.0.1', port });
  held.on('error', () => {});
  held.write(`POST /video/prediction HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"key": ["video"], "value": ["`);
  let inFlight = '';
  for (let i = 0; i < 100; i++) {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    inFlight = /^vidserve_in_flight_requests (\d+)$/m.exec(metrics)?.[1] ?? '?';
    if (inFlight === '1') return held;
    await new Promise((r) => setTimeout(r, 100));
  }
  held.destroy();
  throw new Error(`the held request did not make the server busy (in flight: ${inFlight})`);
}

/** Records, from the page, the highest upload progress and whether the inference spinner was shown. */
function watchCard(): void {
  const w = window as unknown as { seenProgress: number; seenSpinner: boolean };
  w.seenProgress = 0;
  w.seenSpinner = false;
  // (No named inner functions: the test runner's transpiler would wrap them in a helper the page does not have.)
  new MutationObserver(() => {
    for (const p of document.querySelectorAll('progress')) w.seenProgress = Math.max(w.seenProgress, p.value);
    for (const r of document.querySelectorAll<HTMLElement>('.running')) if (!r.hidden) w.seenSpinner = true;
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden', 'value'] });
}

for (const kind of BROWSERS) {
  describe(`web page in ${kind.name}`, { skip: skipOf(kind) }, () => {
    let browser: Browser;

    before(async () => {
      const { default: puppeteer } = await import('puppeteer-core');
      browser = await puppeteer.launch({ ...kind.launch(path.join(dir, `profile-${kind.name}`)), executablePath: kind.path });
    });

    after(async () => {
      await browser?.close();
    });

  test('drop two files: the clip gets 5 bars matching the JSON answer and 8 frames; the text file its err_no', { timeout: 240_000 }, async () => {
    // The request the page sends (video mode, topk 5, timings, frames_seen), sent by Node for the expected answer.
    const body = JSON.stringify({ key: ['video', 'topk', 'timings', 'frames_seen'], value: [readFileSync(clip).toString('base64'), '5', '1', '1'] });
    const expected = await postJson(server.httpPort!, body);
    assert.equal(expected.json.err_no, 0, expected.json.err_msg);
    const labels = parsePyLiteral(expected.json.value[0]!) as string[];
    const probs = parsePyLiteral(expected.json.value[1]!) as number[];
    assert.equal(labels.length, 5);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    if (kind.resizable) await page.setViewport({ width: 1100, height: 900 });
    await page.goto(`http://127.0.0.1:${server.httpPort}/`, { waitUntil: 'load' });

    // Status strip from /ui/status.
    await until(page, () => document.querySelectorAll('#status .chip .v').length >= 4);
    const chips = await page.$$eval('#status .chip', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(chips.some((c) => /PPTSM/.test(c)), chips.join(' | '));
    assert.ok(chips.includes('input[1, 8, 3, 224, 224]'), chips.join(' | '));
    assert.ok(chips.includes('providerCPU'), chips.join(' | '));
    assert.ok(chips.includes('labels400 loaded'), chips.join(' | '));

    // Keyboard: Tab reaches the "Choose videos" button.
    let focused = '';
    for (let i = 0; i < 15 && focused !== 'choose'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    assert.equal(focused, 'choose', 'Tab reaches the file chooser button');

    // Two files at once through the file input (what the chooser and a drop both feed).
    const input = await page.$('input#files');
    await input!.uploadFile(clip, notVideo);
    await until(page, () => document.querySelectorAll('.card.done, .card.failed').length === 2, 180_000);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    console.log(`# web-browser desktop screenshot: ${await shot(page, `${kind.name}-desktop.png`)}`);

    const good = await page.$$eval('.card.done', (cards) =>
      cards.map((card) => ({
        name: card.querySelector('.name')?.textContent,
        bars: Array.from(card.querySelectorAll('.bar')).map((b) => {
          const fill = b.querySelector('.fill')!.getBoundingClientRect().width;
          const track = b.querySelector('.track')!.getBoundingClientRect().width;
          return { label: b.querySelector('.label')!.textContent, text: b.querySelector('.prob')!.textContent, ratio: fill / track };
        }),
        thumbs: Array.from(card.querySelectorAll<HTMLImageElement>('.thumb img')).map((img) => ({ w: img.naturalWidth, h: img.naturalHeight, done: img.complete })),
        latency: card.querySelector('.latency')?.textContent ?? '',
        stages: Array.from(card.querySelectorAll('.legend dt')).map((d) => d.textContent),
      })),
    );
    assert.equal(good.length, 1);
    const card = good[0]!;
    assert.equal(card.name, 'testsrc.mp4');
    assert.deepEqual(card.bars.map((b) => b.label), labels, 'bar labels are the answer\'s top-5, in order');
    card.bars.forEach((b, i) => {
      assert.ok(Math.abs(b.ratio - probs[i]!) < 0.01, `bar ${i} width ${b.ratio.toFixed(4)} vs prob ${probs[i]}`);
      assert.match(b.text!, new RegExp(`^${(probs[i]! * 100).toFixed(probs[i]! >= 0.1 ? 1 : 2).replace('.', '\\.')}%$`));
    });
    assert.equal(card.thumbs.length, 8, 'PP-TSM saw 8 frames');
    for (const t of card.thumbs) assert.deepEqual(t, { w: 224, h: 224, done: true });
    assert.match(card.latency, /^\d+(\.\d)? ms latency in the browser · server \d+(\.\d)? ms · upload/);
    for (const s of ['decode', 'preprocess', 'infer', 'postprocess']) assert.ok(card.stages.includes(s), `stage ${s} in ${card.stages.join(', ')}`);

    const bad = await page.$$eval('.card.failed', (cards) => cards.map((c) => ({ name: c.querySelector('.name')?.textContent, error: c.querySelector('.error')?.textContent ?? '' })));
    assert.equal(bad.length, 1);
    assert.equal(bad[0]!.name, 'notes.mp4');
    assert.match(bad[0]!.error, /^err_no 5000 \[video\] .*not a video|could not be decoded/, bad[0]!.error);

    // Phone width: nothing wider than the screen.
    // (isMobile would reload the page and lose the results; the width is what matters for the layout.)
    if (kind.resizable) {
      await page.setViewport({ width: 390, height: 844 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px screen`);
      console.log(`# web-browser phone screenshot: ${await shot(page, `${kind.name}-phone.png`)}`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a file over the server\'s body limit is refused before upload with err_no 5000 and the limit', { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.httpPort}/ui`, { waitUntil: 'load' });
    await until(page, () => document.querySelectorAll('#status .chip .v').length >= 4);
    // Lower the page's copy of the limit instead of writing a 400 MB file: the check under test is the page's.
    const big = path.join(dir, 'big.mp4');
    writeFileSync(big, readFileSync(clip));
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (r.url().endsWith('/ui/status')) {
        void fetch(r.url()).then(async (resp) => {
          const s = (await resp.json()) as Record<string, unknown>;
          void r.respond({ status: 200, contentType: 'application/json', body: JSON.stringify({ ...s, max_body_bytes: 1000 }) });
        });
      } else void r.continue();
    });
    await page.reload({ waitUntil: 'load' });
    await until(page, () => document.querySelectorAll('#status .chip .v').length >= 4);
    await (await page.$('input#files'))!.uploadFile(big);
    await until(page, () => document.querySelector('.card.failed .error') !== null);
    const text = await page.$eval('.card.failed .error', (e) => e.textContent ?? '');
    assert.match(text, /^err_no 5000 big\.mp4 is \d+ KB: .* more than the server's limit of 1 KB \(max_body_size_mb\)\. Not sent\.$/);
    await page.close();
  });

  test('a busy server: the upload progress bar, the spinner, then err_no 3002 "server busy"; the next try succeeds', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${oneAtATime.httpPort}/`, { waitUntil: 'load' });
    await until(page, () => document.querySelectorAll('#status .chip .v').length >= 4);
    const held = await holdThePlace(oneAtATime.httpPort!);
    try {
      await page.evaluate(watchCard);
      await (await page.$('input#files'))!.uploadFile(clip);
      await until(page, () => document.querySelector('.card.failed, .card.done') !== null, 60_000);
      const text = await page.$eval('.card .error', (e) => e.textContent ?? '');
      assert.match(text, /^err_no 3002 \[video\] server busy: 1 requests in progress/, text);
      const seen = await page.evaluate(() => {
        const w = window as unknown as { seenProgress: number; seenSpinner: boolean };
        return { seenProgress: w.seenProgress, seenSpinner: w.seenSpinner };
      });
      assert.equal(seen.seenProgress, 100, 'the upload progress bar reached 100%');
      assert.equal(seen.seenSpinner, true, 'the spinner showed while the server answered');
    } finally {
      held.destroy();
    }
    // The place is given back when the held request is cut off: the same file now gets its answer.
    await page.evaluate(() => document.querySelector('.card')?.remove());
    await (await page.$('input#files'))!.uploadFile(clip);
    await until(page, () => document.querySelector('.card.failed, .card.done') !== null, 60_000);
    assert.equal(await page.$eval('.card', (c) => c.classList.contains('done') ? '' : c.querySelector('.error')?.textContent ?? '?'), '');
    await page.close();
  });

  test('a file dropped on the page is predicted; the strip and a banner warn when the warm-up saw untrained weights', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    // The warm-up diagnosis itself is the server's (test/serving-config.test.ts); here, what the page makes of it.
    const warning = 'softmax is uniform (every class ≈ 1/5)';
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (r.url().endsWith('/ui/status')) {
        void fetch(r.url()).then(async (resp) => {
          const s = (await resp.json()) as Record<string, unknown>;
          void r.respond({ status: 200, contentType: 'application/json', body: JSON.stringify({ ...s, warmup_warning: warning }) });
        });
      } else void r.continue();
    });
    await page.goto(`http://127.0.0.1:${oneAtATime.httpPort}/`, { waitUntil: 'load' });
    await until(page, () => document.querySelectorAll('#status .chip .v').length >= 5);
    const strip = await page.$$eval('#status .chip', (els) => els.map((e) => [e.textContent, e.getAttribute('title')]));
    assert.deepEqual(strip[strip.length - 1], ['weightsuntrained?', warning]);
    const banner = await page.$eval('#warning', (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent ?? '' }));
    assert.equal(banner.hidden, false);
    assert.match(banner.text, /^Synthetic or untrained weights\. The warm-up run saw softmax is uniform/);

    // A drop anywhere on the page: the file as a browser's drag and drop hands it over.
    await page.evaluate((b64: string) => {
      const file = new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], 'dropped.mp4', { type: 'video/mp4' });
      const dt = new DataTransfer();
      dt.items.add(file);
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, readFileSync(clip).toString('base64'));
    await until(page, () => document.querySelector('.card.failed, .card.done') !== null, 60_000);
    const card = await page.$eval('.card', (c) => ({ name: c.querySelector('.name')?.textContent, error: c.querySelector('.error')?.textContent ?? '', bars: c.querySelectorAll('.bar').length }));
    assert.deepEqual(card, { name: 'dropped.mp4', error: '', bars: 5 });
    await page.close();
  });

  test('the timeline option: a second request with window/stride, drawn as segments that match its JSON answer', { timeout: 240_000 }, async () => {
    const body = JSON.stringify({ key: ['video', 'window', 'stride', 'topk'], value: [readFileSync(clip).toString('base64'), '1', '0.5', '5'] });
    const expected = await postJson(server.httpPort!, body);
    assert.equal(expected.json.err_no, 0, expected.json.err_msg);
    assert.deepEqual(expected.json.key, ['timeline']);
    const t = JSON.parse(expected.json.value[0]!) as { duration: number; windows: unknown[]; segments: Array<{ start: number; end: number; label: string }> };
    assert.ok(t.windows.length >= 2 && t.segments.length >= 1, expected.json.value[0]);

    const page = await browser.newPage();
    if (kind.resizable) await page.setViewport({ width: 1100, height: 900 });
    await page.goto(`http://127.0.0.1:${server.httpPort}/`, { waitUntil: 'load' });
    await until(page, () => document.querySelectorAll('#status .chip .v').length >= 4);
    // Keyboard: focus the checkbox and tick it with Space; window and stride become editable.
    await page.focus('#timeline');
    await page.keyboard.press(' ');
    assert.equal(await page.$eval('input#window', (e) => e.disabled), false);
    for (const [id, v] of [['window', '1'], ['stride', '0.5']] as const) {
      await page.$eval(`input#${id}`, (e) => (e.value = ''));
      await page.type(`input#${id}`, v);
    }
    await (await page.$('input#files'))!.uploadFile(clip);
    await until(page, () => document.querySelector('.timeline .tl-bar, .timeline .tl-error') !== null, 180_000);
    const shown = await page.evaluate(() => {
      const bar = document.querySelector('.tl-bar')!.getBoundingClientRect().width;
      return {
        error: document.querySelector('.tl-error')?.textContent ?? null,
        segments: Array.from(document.querySelectorAll('.tl-seg')).map((e) => ({ label: (e as HTMLElement).dataset.label, ratio: e.getBoundingClientRect().width / bar })),
        listed: Array.from(document.querySelectorAll('.tl-segments li')).map((e) => (e as HTMLElement).dataset.label),
        rows: document.querySelectorAll('.tl-windows tbody tr').length,
        bars: document.querySelectorAll('.card.done .bar').length,
      };
    });
    assert.equal(shown.error, null);
    assert.equal(shown.bars, 5, 'the top-5 of the whole clip is still shown');
    assert.deepEqual(shown.segments.map((g) => g.label), t.segments.map((g) => g.label));
    assert.deepEqual(shown.listed, t.segments.map((g) => g.label));
    shown.segments.forEach((g, i) => {
      const want = (t.segments[i]!.end - t.segments[i]!.start) / t.duration;
      assert.ok(Math.abs(g.ratio - want) < 0.01, `segment ${i} width ${g.ratio.toFixed(3)} vs ${want.toFixed(3)}`);
    });
    assert.equal(shown.rows, t.windows.length);
    await page.evaluate(() => {
      document.querySelector('details.tl-windows')?.setAttribute('open', '');
      (document.activeElement as HTMLElement | null)?.blur();
    });
    console.log(`# web-browser timeline screenshot: ${await shot(page, `${kind.name}-timeline.png`)}`);
    await page.close();
  });
  });
}
