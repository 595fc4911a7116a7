// @ts-check
// vidserve's web page: a framework-free ES module. It uses only the public HTTP API — GET /ui/status for the
// status strip, POST /{op}/prediction in video mode for predictions — exactly as any other client would.
// Every text that comes from the server or a file name goes into the page as text nodes, never as HTML.

const TOPK = 5;

/** @type {{ predict_path: string, max_body_bytes: number } & Record<string, any> | null} */
let serverStatus = null;
/** @typedef {{ timeline: boolean, window: string, stride: string }} Options */
const queue = /** @type {Array<{ file: File, card: ReturnType<typeof makeCard>, opts: Options }>} */ ([]);
let running = false;

// ------------------------------------------------------------------ small DOM helper

/**
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs]
 * @param {Array<Node | string | null | undefined | false>} [children]
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** @param {number} n */
function mb(n) {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

/** @param {number} ms */
function msText(ms) {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

// ------------------------------------------------------------------ Python literals in the answer

/**
 * The answer's values are Python's str(list): "['archery', 'bowling']", "[0.99, 1e-05]". A strict reader for those
 * literals (strings with Python's escapes, numbers, inf/nan); nothing is evaluated.
 * @param {string} text
 * @returns {Array<string | number>}
 */
function parsePyList(text) {
  let i = 0;
  const fail = (/** @type {string} */ what) => {
    throw new Error(`cannot read ${JSON.stringify(text.slice(0, 60))}: ${what} at ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const str = () => {
    const q = text[i++];
    let out = '';
    while (i < text.length && text[i] !== q) {
      const c = text[i++];
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple = /** @type {Record<string, string>} */ ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', '0': '\0' });
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = text.slice(i, i + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('bad escape');
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
      } else fail('unknown escape');
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  };
  const num = () => {
    const m = /^[+-]?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!m) return fail('expected a value');
    i += m[0].length;
    const t = m[0].replace(/^\+/, '');
    return t === 'inf' ? Infinity : t === '-inf' ? -Infinity : /nan/.test(t) ? NaN : Number(t);
  };
  ws();
  if (text[i] !== '[') fail("expected '['");
  i++;
  /** @type {Array<string | number>} */
  const items = [];
  ws();
  while (text[i] !== ']') {
    if (i >= text.length) fail("expected ']'");
    items.push(text[i] === "'" || text[i] === '"' ? str() : num());
    ws();
    if (text[i] === ',') {
      i++;
      ws();
    } else if (text[i] !== ']') fail("expected ',' or ']'");
  }
  i++;
  ws();
  if (i !== text.length) fail('text after the list');
  return items;
}

// ------------------------------------------------------------------ status strip

async function loadStatus() {
  const strip = /** @type {HTMLElement} */ (document.getElementById('status'));
  try {
    const r = await fetch('/ui/status', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    serverStatus = await r.json();
  } catch (e) {
    strip.replaceChildren(h('li', { class: 'chip bad', text: `server unreachable (${/** @type {Error} */ (e).message})` }));
    return;
  }
  const s = /** @type {Record<string, any>} */ (serverStatus);
  const dir = String(s.model.dir);
  const chip = (/** @type {string} */ name, /** @type {string} */ value, /** @type {string} */ cls = '', /** @type {string} */ title = '') =>
    h('li', { class: `chip ${cls}`, title: title || undefined }, [h('span', { class: 'k', text: name }), h('span', { class: 'v', text: value })]);
  const chips = [
    chip('model', `${s.pipeline} · ${dir.split(/[\\/]/).filter(Boolean).pop() ?? dir}`, '', `${dir} (${s.model.source})`),
    chip('input', `[${s.model.input.shape.join(', ')}]`, '', `feed ${s.model.input.name}; ${s.model.classes} classes out`),
    chip('provider', String(s.provider).toUpperCase()),
    s.labels.loaded
      ? chip('labels', `${s.labels.count} loaded`, 'good', s.labels.source ?? '')
      : chip('labels', 'none — class indices', 'warn', 'start the server with --label_list (or label_list.txt in the serving dir) for class names'),
  ];
  if (s.warmup_warning) chips.push(chip('weights', 'untrained?', 'bad', s.warmup_warning));
  strip.replaceChildren(...chips);
  const route = document.getElementById('route');
  if (route) route.textContent = `POST ${s.predict_path}`;
  const warning = /** @type {HTMLElement} */ (document.getElementById('warning'));
  if (s.warmup_warning) {
    warning.replaceChildren(
      h('strong', { text: 'Synthetic or untrained weights. ' }),
      `The warm-up run saw ${s.warmup_warning}: every prediction of this model is meaningless. Serve the trained weights for real labels.`,
    );
    warning.hidden = false;
  }
}

// ------------------------------------------------------------------ one card per file

/** @param {File} file */
function makeCard(file) {
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: 100, value: 0, 'aria-label': `Upload of ${file.name}` }));
  const pct = h('span', { class: 'pct', text: '0%' });
  const state = h('span', { class: 'state', text: 'waiting' });
  const upload = h('div', { class: 'upload' }, [progress, pct]);
  const spinnerText = h('span', { text: 'Model running…' });
  const spinner = h('div', { class: 'running', hidden: true, role: 'status' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), spinnerText]);
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const result = h('div', { class: 'result', hidden: true });
  const card = h('article', { class: 'card', 'aria-busy': 'true' }, [
    h('header', { class: 'card-head' }, [h('h2', { class: 'name', text: file.name, title: file.name }), h('span', { class: 'size', text: mb(file.size) }), state]),
    upload,
    spinner,
    error,
    result,
  ]);
  return { card, progress, pct, state, upload, spinner, spinnerText, error, result };
}

/** @param {ReturnType<typeof makeCard>} c @param {string} text */
function setState(c, text) {
  c.state.textContent = text;
}

/**
 * @param {ReturnType<typeof makeCard>} c
 * @param {number | null} errNo
 * @param {string} message
 */
function showError(c, errNo, message) {
  c.upload.hidden = true;
  c.spinner.hidden = true;
  c.error.replaceChildren(h('strong', { class: 'errno', text: errNo === null ? 'error' : `err_no ${errNo}` }), ' ', h('span', { class: 'msg', text: message }));
  c.error.hidden = false;
  c.card.classList.add('failed');
  c.card.setAttribute('aria-busy', 'false');
  setState(c, 'failed');
}

/** @param {File} file @returns {Promise<string>} the file's base64 */
function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error ?? new Error('cannot read the file'));
    r.readAsDataURL(file);
  });
}

/**
 * POST the request with upload progress; resolves with the HTTP status and the parsed JSON answer.
 * @param {Blob} body
 * @param {ReturnType<typeof makeCard>} c
 * @returns {Promise<{ status: number, json: any, uploadedAt: number, sentAt: number, doneAt: number }>}
 */
function post(body, c) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const s = /** @type {NonNullable<typeof serverStatus>} */ (serverStatus);
    xhr.open('POST', s.predict_path);
    xhr.setRequestHeader('Content-Type', 'application/json');
    const sentAt = performance.now();
    let uploadedAt = sentAt;
    let uploaded = false;
    // The upload is over when its last byte went out; Firefox fires upload 'load' only with the response, so the
    // final progress event marks it too.
    const onUploaded = () => {
      if (uploaded) return;
      uploaded = true;
      uploadedAt = performance.now();
      c.progress.value = 100;
      c.pct.textContent = '100%';
      c.upload.hidden = true;
      c.spinner.hidden = false;
      setState(c, 'running');
    };
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      if (e.loaded >= e.total) return onUploaded();
      const p = Math.round((e.loaded / e.total) * 100);
      c.progress.value = p;
      c.pct.textContent = `${p}%`;
    };
    xhr.upload.onload = onUploaded;
    xhr.onload = () => {
      const doneAt = performance.now();
      let json;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        reject(new Error(`the server answered HTTP ${xhr.status} without a JSON body`));
        return;
      }
      resolve({ status: xhr.status, json, uploadedAt, sentAt, doneAt });
    };
    xhr.onerror = () => reject(new Error('the connection failed or was cut off by the server (is it running? is the file larger than its limit?)'));
    xhr.send(body);
  });
}

/** @param {File} file @param {ReturnType<typeof makeCard>} c @param {Options} opts */
async function predictFile(file, c, opts) {
  const s = /** @type {NonNullable<typeof serverStatus>} */ (serverStatus);
  // base64 grows the file by 4/3; refuse what the server would refuse before spending the upload on it.
  const bodyBytes = Math.ceil(file.size / 3) * 4 + 200;
  if (bodyBytes > s.max_body_bytes) {
    showError(c, 5000, `${file.name} is ${mb(file.size)}: as base64 in the JSON body that is ${mb(bodyBytes)}, more than the server's limit of ${mb(s.max_body_bytes)} (max_body_size_mb). Not sent.`);
    return;
  }
  setState(c, 'reading');
  const b64 = await readBase64(file);
  if (b64.length === 0) {
    showError(c, 5000, `${file.name} is empty. Not sent.`);
    return;
  }
  setState(c, 'uploading');
  // The Paddle Serving request in video mode, built as a Blob so the base64 is never copied into a second string.
  const body = new Blob(
    ['{"key": ["video", "topk", "timings", "frames_seen"], "value": ["', b64, `", "${TOPK}", "1", "1"]}`],
    { type: 'application/json' },
  );
  const r = await post(body, c);
  const latency = r.doneAt - r.sentAt;
  const a = r.json;
  if (typeof a?.err_no !== 'number') throw new Error(`unexpected answer (HTTP ${r.status}): ${JSON.stringify(a).slice(0, 200)}`);
  if (a.err_no !== 0) {
    showError(c, a.err_no, a.err_msg || `HTTP ${r.status}`);
    return;
  }
  renderResult(c, a, { latency, upload: r.uploadedAt - r.sentAt });
  if (opts.timeline) await timelineFor(c, b64, opts);
}

/**
 * The long-video timeline: a second request with the window keys (src/protocol/timeline.ts), answered as key
 * ["timeline"] with a JSON document of windows and merged segments.
 * @param {ReturnType<typeof makeCard>} c @param {string} b64 @param {Options} opts
 */
async function timelineFor(c, b64, opts) {
  const section = h('section', { class: 'timeline', 'aria-label': 'Timeline' }, [h('h3', { text: 'Timeline' })]);
  c.result.append(section);
  c.card.setAttribute('aria-busy', 'true');
  c.progress.value = 0;
  c.pct.textContent = '0%';
  c.upload.hidden = false;
  c.spinnerText.textContent = `Timeline: a prediction every ${opts.stride} s over windows of ${opts.window} s…`;
  setState(c, 'uploading');
  const body = new Blob(
    ['{"key": ["video", "window", "stride", "topk"], "value": ["', b64, `", ${JSON.stringify(opts.window)}, ${JSON.stringify(opts.stride)}, "${TOPK}"]}`],
    { type: 'application/json' },
  );
  let message = '';
  try {
    const r = await post(body, c);
    const a = r.json;
    if (typeof a?.err_no !== 'number') message = `unexpected answer (HTTP ${r.status})`;
    else if (a.err_no !== 0) message = `err_no ${a.err_no} ${a.err_msg}`;
    else {
      const text = valueOf(a, 'timeline');
      if (text === undefined) message = `the answer has no timeline (keys: ${a.key.join(', ')}); does this server support timelines?`;
      else renderTimeline(section, JSON.parse(text), r.doneAt - r.sentAt);
    }
  } catch (e) {
    message = /** @type {Error} */ (e).message;
  }
  if (message) section.append(h('p', { class: 'tl-error', role: 'alert', text: message }));
  c.upload.hidden = true;
  c.spinner.hidden = true;
  c.card.setAttribute('aria-busy', 'false');
  setState(c, 'done');
}

/** A stable colour per label. @param {string} label */
function labelColour(label) {
  let x = 2166136261;
  for (let i = 0; i < label.length; i++) x = Math.imul(x ^ label.charCodeAt(i), 16777619);
  return `hsl(${(x >>> 0) % 360} 55% 42%)`;
}

/** @param {number} s */
function secs(s) {
  return `${(Math.round(s * 10) / 10).toFixed(1)} s`;
}

/**
 * @typedef {{ start: number, end: number, label: string, prob: number, topk: Array<{ label: string, prob: number }> }} TlWindow
 * @typedef {{ start: number, end: number, label: string, prob: number, windows: number }} TlSegment
 * @param {HTMLElement} section
 * @param {{ window: number, stride: number, threshold: number, frames: number, duration: number, windows: TlWindow[], segments: TlSegment[] }} t
 * @param {number} latency
 */
function renderTimeline(section, t, latency) {
  const total = t.duration > 0 ? t.duration : Math.max(0, ...t.windows.map((w) => w.end)) || 1;
  const heading = /** @type {HTMLElement} */ (section.firstChild);
  heading.textContent = `Timeline · ${t.windows.length} windows of ${t.window} s every ${t.stride} s · ${secs(t.duration)}`;
  // Segments on a time axis; stretches no segment covers (windows under the threshold) are hatched.
  const bar = h('div', { class: 'tl-bar', role: 'img', 'aria-label': t.segments.map((g) => `${secs(g.start)} to ${secs(g.end)}: ${g.label}`).join('; ') });
  let at = 0;
  const piece = (/** @type {string} */ cls, /** @type {number} */ from, /** @type {number} */ to, /** @type {string} */ text, /** @type {string} */ title) => {
    const el = h('span', { class: cls, title, text });
    el.style.width = `${((to - from) / total) * 100}%`;
    return el;
  };
  for (const g of t.segments) {
    if (g.start > at + 1e-6) bar.append(piece('tl-gap', at, g.start, '', `${secs(at)} – ${secs(g.start)}: below the threshold`));
    const seg = piece('tl-seg', g.start, g.end, g.label, `${secs(g.start)} – ${secs(g.end)}: ${g.label} ${(g.prob * 100).toFixed(1)}%`);
    seg.style.background = labelColour(g.label);
    seg.dataset.label = g.label;
    bar.append(seg);
    at = g.end;
  }
  if (total > at + 1e-6) bar.append(piece('tl-gap', at, total, '', `${secs(at)} – ${secs(total)}: below the threshold`));
  const axis = h('div', { class: 'tl-axis', 'aria-hidden': 'true' }, [h('span', { text: '0 s' }), h('span', { text: secs(total / 2) }), h('span', { text: secs(total) })]);

  const list = h('ol', { class: 'tl-segments', 'aria-label': 'Segments' });
  for (const g of t.segments) {
    const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
    dot.style.background = labelColour(g.label);
    list.append(
      h('li', { 'data-label': g.label }, [
        h('span', { class: 'when', text: `${secs(g.start)} – ${secs(g.end)}` }),
        h('span', { class: 'what', title: g.label }, [dot, g.label]),
        h('span', { class: 'how', text: `${(g.prob * 100).toFixed(1)}% · ${g.windows} window${g.windows === 1 ? '' : 's'}` }),
      ]),
    );
  }

  const rows = t.windows.map((w) =>
    h('tr', {}, [
      h('td', { text: `${secs(w.start)} – ${secs(w.end)}` }),
      h('td', { text: w.label }),
      h('td', { text: `${(w.prob * 100).toFixed(1)}%` }),
      h('td', { text: w.topk.slice(1).map((e) => `${e.label} ${(e.prob * 100).toFixed(1)}%`).join(', ') }),
    ]),
  );
  const table = h('table', {}, [
    h('thead', {}, [h('tr', {}, [h('th', { text: 'window' }), h('th', { text: 'label' }), h('th', { text: 'prob' }), h('th', { text: 'next' })])]),
    h('tbody', {}, rows),
  ]);
  const details = h('details', { class: 'tl-windows' }, [h('summary', { text: `All ${t.windows.length} windows` }), table]);
  const note = h('p', { class: 'tl-note', text: `${t.frames} frames decoded · ${msText(latency)} for the timeline request${t.threshold > 0 ? ` · segments at prob ≥ ${t.threshold}` : ''}` });
  section.append(bar, axis, list, details, note);
}

/**
 * @param {{ key: string[], value: string[] }} a
 * @param {string} key
 */
function valueOf(a, key) {
  const i = a.key.indexOf(key);
  return i < 0 ? undefined : a.value[i];
}

/**
 * @param {ReturnType<typeof makeCard>} c
 * @param {{ key: string[], value: string[], tensors: Array<Record<string, any>> }} a
 * @param {{ latency: number, upload: number }} t
 */
function renderResult(c, a, t) {
  const labels = parsePyList(valueOf(a, 'label') ?? '[]');
  const probs = parsePyList(valueOf(a, 'prob') ?? '[]').map(Number);
  const timingsText = valueOf(a, 'timings');
  /** @type {Record<string, number>} */
  const timings = timingsText ? JSON.parse(timingsText) : {};

  const bars = h('ol', { class: 'bars', 'aria-label': `Top ${labels.length} classes` });
  labels.forEach((label, i) => {
    const p = probs[i] ?? 0;
    const fill = h('span', { class: 'fill' });
    fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
    bars.append(
      h('li', { class: 'bar', 'data-label': String(label), 'data-prob': String(p) }, [
        h('span', { class: 'label', text: String(label), title: String(label) }),
        h('span', { class: 'track', 'aria-hidden': 'true' }, [fill]),
        h('span', { class: 'prob', text: `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%` }),
      ]),
    );
  });

  const total = timings.total;
  const latency = h('p', { class: 'latency' }, [
    h('span', { class: 'big', text: msText(t.latency) }),
    ' latency in the browser',
    total !== undefined ? ` · server ${msText(total)}` : '',
    ` · upload ${msText(t.upload)}`,
  ]);

  // The server lists its stages in order, then the total.
  const stageNames = Object.keys(timings).filter((s) => s !== 'total' && typeof timings[s] === 'number');
  const sum = stageNames.reduce((n, s) => n + timings[s], 0) || 1;
  const stack = h('div', { class: 'stack', 'aria-hidden': 'true' });
  const legend = h('dl', { class: 'legend' });
  for (const s of stageNames) {
    const seg = h('span', { class: `seg st-${s}`, title: `${s} ${msText(timings[s])}` });
    seg.style.width = `${(timings[s] / sum) * 100}%`;
    stack.append(seg);
    legend.append(h('div', { class: 'lg' }, [h('dt', {}, [h('span', { class: `dot st-${s}`, 'aria-hidden': 'true' }), s]), h('dd', { text: msText(timings[s]) })]));
  }
  const stages = stageNames.length
    ? h('section', { class: 'stages', 'aria-label': 'Server stage timings' }, [h('h3', { text: 'Server stages' }), stack, legend])
    : null;

  const frames = (a.tensors ?? []).filter((x) => x.name === 'frames_seen' && typeof x.byte_data === 'string');
  let thumbs = null;
  if (frames.length) {
    const [fh, fw] = frames[0].shape ?? [];
    const grid = h('div', { class: 'thumbs' });
    frames.forEach((f, i) => {
      grid.append(
        h('figure', { class: 'thumb' }, [
          h('img', { src: `data:image/png;base64,${f.byte_data}`, alt: `model input frame ${i + 1} of ${frames.length}`, width: fw, height: fh, loading: 'lazy', decoding: 'async' }),
          h('figcaption', { text: String(i + 1) }),
        ]),
      );
    });
    thumbs = h('section', { class: 'seen', 'aria-label': 'Frames the model saw' }, [
      h('h3', { text: `Frames the model saw · ${frames.length} × ${fw}×${fh}` }),
      grid,
    ]);
  }

  const answer = h('section', { class: 'answer', 'aria-label': 'Prediction' }, [h('h3', { text: `Top ${labels.length}` }), bars, latency]);
  c.result.replaceChildren(...[answer, stages, thumbs].filter((x) => x !== null));
  c.upload.hidden = true;
  c.spinner.hidden = true;
  c.result.hidden = false;
  c.card.classList.add('done');
  c.card.setAttribute('aria-busy', 'false');
  setState(c, 'done');
}

// ------------------------------------------------------------------ queue: one request at a time

/** The options as set when files are added. @returns {Options} */
function currentOptions() {
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
  return { timeline: value('timeline').checked, window: value('window').value.trim(), stride: value('stride').value.trim() };
}

/** @param {Iterable<File>} files */
function addFiles(files) {
  const results = /** @type {HTMLElement} */ (document.getElementById('results'));
  const opts = currentOptions();
  for (const file of files) {
    const card = makeCard(file);
    results.prepend(card.card);
    queue.push({ file, card, opts });
  }
  void pump();
}

async function pump() {
  if (running) return;
  running = true;
  try {
    while (queue.length) {
      const { file, card, opts } = /** @type {NonNullable<ReturnType<typeof queue.shift>>} */ (queue.shift());
      if (!serverStatus) await loadStatus();
      if (!serverStatus) {
        showError(card, null, 'the server status is unavailable; is the server running?');
        continue;
      }
      try {
        await predictFile(file, card, opts);
      } catch (e) {
        showError(card, null, /** @type {Error} */ (e).message);
      }
    }
  } finally {
    running = false;
  }
}

function setUp() {
  const input = /** @type {HTMLInputElement} */ (document.getElementById('files'));
  const choose = /** @type {HTMLButtonElement} */ (document.getElementById('choose'));
  const drop = /** @type {HTMLElement} */ (document.getElementById('drop'));
  choose.addEventListener('click', () => input.click());
  const timeline = /** @type {HTMLInputElement} */ (document.getElementById('timeline'));
  const syncOptions = () => {
    for (const id of ['window', 'stride']) /** @type {HTMLInputElement} */ (document.getElementById(id)).disabled = !timeline.checked;
  };
  timeline.addEventListener('change', syncOptions);
  syncOptions();
  input.addEventListener('change', () => {
    if (input.files) addFiles(Array.from(input.files));
    input.value = '';
  });
  // Drops anywhere on the page count; the drop zone lights up while something is dragged over the window.
  let depth = 0;
  window.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    drop.classList.add('over');
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) drop.classList.remove('over');
  });
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    drop.classList.remove('over');
    if (e.dataTransfer?.files?.length) addFiles(Array.from(e.dataTransfer.files));
  });
  void loadStatus();
}

setUp();
