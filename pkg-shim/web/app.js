// The validator page: text in, diagnostics out, with the CLI's core in the API
// module (../scripts/browser.mjs loads ../scripts/ctl_packaging_bg.wasm).
// No framework, no build step, no request but for this page's own files.

const $ = (id) => document.getElementById(id);
const editor = $('editor');
const gutter = $('gutter');
const gutterInner = $('gutter-inner');
const numbers = $('numbers');
const marks = $('marks');
const summary = $('summary');
const list = $('diagnostics');
const more = $('more');
const listHint = $('list-hint');
const cursorInfo = $('cursor');
const source = $('source');
const fileInput = $('file');
const dropzone = $('dropzone');
const dropHint = $('drop-hint');

/** Diagnostics rendered as buttons at most; the rest are counted. */
const MAX_SHOWN = 1000;

let api = null; // the module once loaded
let fileName = null; // name of the opened or dropped file, null for typed text
let shownLines = 0; // line numbers currently in the gutter
let lineStarts = null; // UTF-16 offset of each line, computed on demand
let scheduled = false;
let lastChecked = null; // [mode, fileName, text] of the last check

// ------------------------------------------------------------------ detection

const isDockerfileName = (name) => /(^|[\\/])(dockerfile([.-][^\\/]*)?|[^\\/]*\.dockerfile)$/i.test(name);

/** What the text is: `'registry'` or `'dockerfile'`. */
function detect(text, name) {
  if (name) {
    if (isDockerfileName(name)) return 'dockerfile';
    if (/\.json$/i.test(name)) return 'registry';
  }
  const start = text.search(/[^\s\uFEFF]/);
  if (start < 0 || text[start] === '{' || text[start] === '[') return 'registry';
  // A Dockerfile starts with parser directives or comments, then ARG or FROM.
  const head = text.slice(start, start + 4096);
  return /^(?:#[^\n]*\n\s*)*(?:FROM|ARG)\s/i.test(head) ? 'dockerfile' : 'registry';
}

function chosenMode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function modeFor(text) {
  const m = chosenMode();
  return m === 'auto' ? detect(text, fileName) : m;
}

// ------------------------------------------------------------------ positions

function computeLineStarts(text) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * UTF-16 offset of a 1-based line and 1-based column counted in code points
 * (as the core counts), clamped to the line.
 */
function offsetOf(text, line, column) {
  lineStarts ??= computeLineStarts(text);
  const l = Math.min(Math.max(line, 1), lineStarts.length);
  let at = lineStarts[l - 1];
  const end = l < lineStarts.length ? lineStarts[l] - 1 : text.length;
  for (let c = 1; c < column && at < end; c++) {
    const code = text.charCodeAt(at);
    at += code >= 0xd800 && code <= 0xdbff && at + 1 < end ? 2 : 1;
  }
  return at;
}

/** 1-based line and code-point column of a UTF-16 offset. */
function positionOf(text, offset) {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  let column = 1;
  for (let i = lineStart; i < offset; i++) {
    const code = text.charCodeAt(i);
    const prev = i > lineStart ? text.charCodeAt(i - 1) : 0;
    // The second half of a surrogate pair is the same code point.
    if (!(code >= 0xdc00 && code <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff)) column++;
  }
  return { line, column };
}

/** Code points (characters, as columns count them) between two UTF-16 offsets. */
function codePoints(text, start, end) {
  let n = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (!(code >= 0xdc00 && code <= 0xdfff && i > start && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) n++;
  }
  return n;
}

function lineHeight() {
  return parseFloat(getComputedStyle(editor).lineHeight) || 20;
}

// ------------------------------------------------------------------ rendering

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function counts(diagnostics) {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  return { errors, warnings: diagnostics.length - errors };
}

function setSummary(text, state) {
  summary.textContent = text;
  summary.dataset.state = state;
}

function updateGutter(text) {
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  if (lines !== shownLines) {
    const out = new Array(lines);
    for (let i = 0; i < lines; i++) out[i] = i + 1;
    numbers.textContent = out.join('\n');
    shownLines = lines;
  }
  syncScroll();
}

function syncScroll() {
  gutterInner.style.transform = `translateY(${-editor.scrollTop}px)`;
}

function renderMarks(diagnostics) {
  const lh = lineHeight();
  const worst = new Map();
  for (const d of diagnostics.slice(0, MAX_SHOWN)) {
    if (worst.get(d.line) !== 'error') worst.set(d.line, d.severity);
  }
  const frag = document.createDocumentFragment();
  for (const [line, severity] of worst) {
    const m = document.createElement('span');
    m.className = `mark ${severity}`;
    m.style.top = `${(line - 1) * lh}px`;
    m.style.height = `${lh}px`;
    frag.append(m);
  }
  marks.replaceChildren(frag);
}

function renderList(diagnostics) {
  const frag = document.createDocumentFragment();
  diagnostics.slice(0, MAX_SHOWN).forEach((d, i) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `diagnostic ${d.severity}`;
    button.dataset.index = String(i);
    Object.assign(button.dataset, {
      severity: d.severity,
      code: d.code,
      file: d.file,
      pointer: d.pointer,
      line: String(d.line),
      column: String(d.column),
      endLine: String(d.endLine),
      endColumn: String(d.endColumn),
    });
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = `${d.line}:${d.column}`;
    const severity = document.createElement('span');
    severity.className = 'severity';
    severity.textContent = d.severity;
    const code = document.createElement('span');
    code.className = 'code';
    code.textContent = d.code;
    const message = document.createElement('span');
    message.className = 'message';
    message.textContent = d.message;
    button.append(where, ' ', severity, ' ', code, ' ', message);
    if (d.pointer) button.title = `${d.file} ${d.pointer}`;
    li.append(button);
    frag.append(li);
  });
  list.replaceChildren(frag);
  listHint.hidden = diagnostics.length === 0;
  more.hidden = diagnostics.length <= MAX_SHOWN;
  more.textContent = `… and ${diagnostics.length - MAX_SHOWN} more not listed.`;
}

let current = []; // the diagnostics shown

function check() {
  scheduled = false;
  if (!api) return;
  const text = editor.value;
  const mode = modeFor(text);
  if (lastChecked && lastChecked[0] === mode && lastChecked[1] === fileName && lastChecked[2] === text) return;
  lastChecked = [mode, fileName, text];
  lineStarts = null;
  updateGutter(text);
  document.body.dataset.mode = mode;
  source.textContent = `Checking: ${fileName ?? 'pasted text'} as ${mode === 'dockerfile' ? 'a Dockerfile' : 'registry.json'}`;

  if (text.trim() === '') {
    current = [];
    setSummary('Nothing to check yet: type, paste, open or drop a registry.json or a Dockerfile.', 'empty');
  } else if (mode === 'dockerfile') {
    current = api.checkDockerfile(text, fileName ?? 'Dockerfile');
    const { errors, warnings } = counts(current);
    const parts = [errors && plural(errors, 'error'), warnings && plural(warnings, 'warning')].filter(Boolean);
    setSummary(`Dockerfile: ${parts.length ? parts.join(', ') : 'no findings'}`, current.length ? 'findings' : 'clean');
  } else {
    const v = api.validateRegistry(text);
    current = v.diagnostics;
    const { errors, warnings } = counts(current);
    if (v.ok) {
      setSummary(`valid: ${plural(v.targets, 'target')}${warnings ? `, ${plural(warnings, 'warning')}` : ''}`, 'valid');
    } else {
      setSummary(`${plural(errors, 'error')}${warnings ? `, ${plural(warnings, 'warning')}` : ''}`, 'invalid');
    }
  }
  renderList(current);
  renderMarks(current);
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(check);
}

// ------------------------------------------------------------------ cursor

function showCursor() {
  const text = editor.value;
  const { line, column } = positionOf(text, editor.selectionStart);
  const selected = codePoints(text, editor.selectionStart, editor.selectionEnd);
  cursorInfo.textContent = `Line ${line}, column ${column}${selected ? ` (${selected} selected)` : ''}`;
  cursorInfo.dataset.line = String(line);
  cursorInfo.dataset.column = String(column);
}

/** Put the cursor on a diagnostic's span, select it and scroll it into view. */
function reveal(d) {
  const text = editor.value;
  const start = offsetOf(text, d.line, d.column);
  const end = Math.max(start, offsetOf(text, d.endLine, d.endColumn));
  editor.focus({ preventScroll: true });
  editor.setSelectionRange(start, end, 'backward');
  const lh = lineHeight();
  const top = (d.line - 1) * lh;
  if (top < editor.scrollTop || top + lh > editor.scrollTop + editor.clientHeight) {
    editor.scrollTop = Math.max(0, top - editor.clientHeight / 3);
  }
  const charWidth = measureChar();
  const left = (d.column - 1) * charWidth;
  if (left < editor.scrollLeft || left > editor.scrollLeft + editor.clientWidth - 4 * charWidth) {
    editor.scrollLeft = Math.max(0, left - editor.clientWidth / 3);
  }
  syncScroll();
  showCursor();
}

let charWidthCache = 0;
function measureChar() {
  if (!charWidthCache) {
    const probe = document.createElement('span');
    probe.textContent = '0'.repeat(50);
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre;font:inherit';
    probe.style.font = getComputedStyle(editor).font;
    document.body.append(probe);
    charWidthCache = probe.getBoundingClientRect().width / 50 || 8;
    probe.remove();
  }
  return charWidthCache;
}

// ------------------------------------------------------------------ files

async function load(file) {
  let text;
  try {
    text = await file.text();
  } catch (e) {
    setSummary(`Could not read ${file.name}: ${e.message}`, 'error');
    return;
  }
  fileName = file.name;
  editor.value = text;
  // A file whose name decides its kind switches the mode; others are detected.
  const radio = document.querySelector(
    `input[name="mode"][value="${isDockerfileName(file.name) ? 'dockerfile' : /\.json$/i.test(file.name) ? 'registry' : 'auto'}"]`,
  );
  radio.checked = true;
  editor.scrollTop = 0;
  editor.scrollLeft = 0;
  editor.setSelectionRange(0, 0);
  check();
  showCursor();
}

fileInput.addEventListener('change', () => {
  const file = fileInput.files && fileInput.files[0];
  if (file) load(file);
  fileInput.value = '';
});

const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  dragDepth++;
  dropzone.classList.add('dragging');
  dropHint.hidden = false;
});
document.addEventListener('dragleave', (e) => {
  if (!hasFiles(e)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) {
    dropzone.classList.remove('dragging');
    dropHint.hidden = true;
  }
});
document.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('drop', (e) => {
  dragDepth = 0;
  dropzone.classList.remove('dragging');
  dropHint.hidden = true;
  const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
  if (!file) return; // dropped text: the textarea inserts it and `input` follows
  e.preventDefault();
  load(file);
});

// ------------------------------------------------------------------ wiring

editor.addEventListener('input', () => {
  schedule();
});
editor.addEventListener('scroll', syncScroll);
for (const type of ['keyup', 'click', 'select', 'focus']) editor.addEventListener(type, showCursor);
document.addEventListener('selectionchange', () => {
  if (document.activeElement === editor) showCursor();
});
for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener('change', schedule);

list.addEventListener('click', (e) => {
  const button = e.target.closest('button.diagnostic');
  if (!button) return;
  for (const b of list.querySelectorAll('button[aria-current]')) b.removeAttribute('aria-current');
  button.setAttribute('aria-current', 'true');
  const d = current[Number(button.dataset.index)];
  if (d) reveal(d);
});

try {
  api = await import('../scripts/browser.mjs');
  $('version').textContent = `ctl-packaging ${api.version} · WebAssembly core, running in this page`;
  document.documentElement.dataset.ready = 'true';
  check();
} catch (e) {
  setSummary(`Could not load the checker (../scripts/browser.mjs): ${e && e.message ? e.message : e}`, 'error');
  document.documentElement.dataset.ready = 'error';
}
