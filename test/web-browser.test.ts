// The web page in a real headless Chromium (Debian's `chromium` + puppeteer-core), served by a real server with the
// full-size synthetic-weight PP-TSM model: two files chosen at once (a rendered clip and a text file named .mp4),
// upload, 5 bars that match the JSON answer of the same request, 8 thumbnails, the error with its err_no, keyboard
// access and phone width. Screenshots go to the test's temp folder (the path is printed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { renderTestClip } from '../src/cli/demo.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { parsePyLiteral } from '../src/client/pyliteral.ts';
import { SHARED } from './support/shared.ts';
import { postJson, servingDir, startTestServer, tempDir } from './serving-fixtures.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
if (skip) console.log(`# web-browser tests skipped: ${skip}`);

let server: RunningServer;
let browser: Browser;
let dir: string;
let clip: string;
let notVideo: string;

before(async () => {
  if (skip) return;
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
  const { default: puppeteer } = await import('puppeteer-core');
  const [srv, b] = await Promise.all([
    servingDir('pptsm', { labelList }).then((d) => startTestServer(d, { pipeline: 'PPTSM' })),
    puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: path.join(dir, 'profile'),
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  server = srv;
  browser = b;
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) console.log(`# web-browser screenshots: ${path.join(dir, 'shots')}`);
});

async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(path.join(dir, 'shots'), { recursive: true });
  const file = path.join(dir, 'shots', name);
  await page.screenshot({ path: file as `${string}.png`, fullPage: true });
  return file;
}

test('drop two files: the clip gets 5 bars matching the JSON answer and 8 frames; the text file its err_no', { skip, timeout: 240_000 }, async () => {
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
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(`http://127.0.0.1:${server.httpPort}/`, { waitUntil: 'load' });

  // Status strip from /ui/status.
  await page.waitForFunction(() => document.querySelectorAll('#status .chip .v').length >= 4, { timeout: 10_000 });
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
  await page.waitForFunction(() => document.querySelectorAll('.card.done, .card.failed').length === 2, { timeout: 180_000 });
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  console.log(`# web-browser desktop screenshot: ${await shot(page, 'desktop.png')}`);

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
  await page.setViewport({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px screen`);
  console.log(`# web-browser phone screenshot: ${await shot(page, 'phone.png')}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a file over the server\'s body limit is refused before upload with err_no 5000 and the limit', { skip, timeout: 60_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.httpPort}/ui`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelectorAll('#status .chip .v').length >= 4);
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
  await page.waitForFunction(() => document.querySelectorAll('#status .chip .v').length >= 4);
  await (await page.$('input#files'))!.uploadFile(big);
  await page.waitForSelector('.card.failed .error');
  const text = await page.$eval('.card.failed .error', (e) => e.textContent ?? '');
  assert.match(text, /^err_no 5000 big\.mp4 is \d+ KB: .* more than the server's limit of 1 KB \(max_body_size_mb\)\. Not sent\.$/);
  await page.close();
});
