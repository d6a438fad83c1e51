// Rookery's web interface: one page, tabs by URL fragment. It reads /api/* and listens to /api/events (server-sent
// events fed by the node's cluster event stream); it never polls. No framework, no build step.
'use strict';

const LINKS_MAX = 8;
const HISTORY_POINTS = 60;
const state = { status: null, history: new Map(), lastSample: new Map(), events: [], mode: null, runningConfig: null };

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const $ = id => document.getElementById(id);

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: 'same-origin' }, options || {}));
  if (response.status === 401) { location.href = '/login'; throw new Error('not logged in'); }
  const text = await response.text();
  if (!response.ok) throw new Error(text.trim() || response.statusText);
  return text.length ? JSON.parse(text) : null;
}

function post(path, body, json) {
  return api(path, {
    method: 'POST',
    headers: { 'X-Rookery': '1', 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8' },
    body: json ? JSON.stringify(body) : body,
  });
}

// ---- tabs ----
function showTab() {
  const wanted = (location.hash || '').slice(1);
  const tabs = [...document.querySelectorAll('#tabs a')].filter(a => a.dataset.mode === state.mode);
  const tab = tabs.find(a => a.dataset.tab === wanted) || tabs[0];
  for (const a of document.querySelectorAll('#tabs a')) {
    a.hidden = a.dataset.mode !== state.mode;
    a.classList.toggle('current', a === tab);
  }
  for (const page of document.querySelectorAll('.page')) page.hidden = !tab || page.id !== 'page-' + tab.dataset.tab;
  if (tab && tab.dataset.tab === 'config' && state.runningConfig === null) loadConfig();
  if (tab && tab.dataset.tab === 'join') loadJoinInfo();
  document.body.dataset.page = tab ? tab.dataset.tab : '';
}

// ---- cluster page ----
function renderStatus(status) {
  state.status = status;
  $('cluster-name').textContent = status.cluster.name;
  const quorum = status.quorum;
  const quorate = $('quorate');
  quorate.textContent = quorum.quorate ? 'Quorate' : 'Not quorate';
  quorate.className = 'value ' + (quorum.quorate ? 'good' : 'bad');
  quorate.dataset.quorate = quorum.quorate ? 'yes' : 'no';
  $('votes').textContent = `${quorum.total_votes} / ${quorum.expected_votes} / ${quorum.quorum}`;
  $('ring-id').textContent = quorum.ring_id;
  $('config-version').textContent = status.cluster.config_version;
  $('flags').textContent = quorum.flags.join(' ') || '–';

  const linksByNode = new Map(status.links.nodes.map(n => [n.nodeid, n]));
  const body = $('members').tBodies[0];
  body.replaceChildren(...status.members.map(member => {
    const links = linksByNode.get(member.nodeid);
    const up = links ? links.links.filter(l => l.connected).length : 0;
    const total = links ? links.links.length : 0;
    return h('tr', { 'data-nodeid': member.nodeid, class: member.local ? 'local' : null },
      h('td', { text: member.nodeid }),
      h('td', { text: member.name + (member.local ? ' (this node)' : '') }),
      h('td', { text: member.votes }),
      h('td', { text: member.address }),
      h('td', { text: member.local ? '–' : `${up} of ${total}` }));
  }));
  renderMatrix(status.links);
}

function renderEvent(event) {
  if (event.initial) return;
  state.events.unshift(event);
  state.events.length = Math.min(state.events.length, 50);
  const describe = e => {
    switch (e.type) {
      case 'node_joined': return `node ${e.nodeid} (${e.name || '?'}) joined, ring ${e.ring_id || ''}`;
      case 'node_left': return `node ${e.nodeid} (${e.name || '?'}) left: ${e.reason || ''}`;
      case 'quorum': return e.quorate ? 'quorate' : 'quorum lost';
      case 'link': return `link ${e.link} to node ${e.nodeid} is ${e.state}${e.reason ? ' (' + e.reason + ')' : ''}`;
      case 'link_active': return e.state === 'none' ? `no link to node ${e.nodeid}` : `link ${e.link} now carries traffic to node ${e.nodeid}`;
      case 'config': return `config_version ${e.config_version} applied (${e.source || ''})`;
      default: return e.type;
    }
  };
  $('events').replaceChildren(...state.events.map(e =>
    h('li', { class: 'event-' + e.type }, h('time', { text: e.time.replace('T', ' ').replace('Z', '') }), ' ', describe(e))));
  if (event.type === 'link' && event.nodeid !== undefined) {
    // Shown at once; the status that follows fills in the rest.
    const cell = document.querySelector(`#matrix td[data-peer="${event.nodeid}"][data-link="${event.link}"]`);
    if (cell && event.state === 'down') setCellState(cell, 'down');
  }
}

// ---- links matrix ----
function cellState(link) {
  if (!link.enabled || !link.connected) return 'down';
  return link.active ? 'active' : 'connected';
}

function setCellState(cell, value) {
  cell.dataset.state = value;
  cell.className = 'cell state-' + value;
  cell.querySelector('.state').textContent = value;
}

function sparkline(values) {
  const width = 120, height = 28;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const known = values.filter(v => v > 0);
  if (known.length < 2) return svg;
  const max = Math.max(...known) * 1.1, min = Math.min(...known) * 0.9;
  const step = width / (HISTORY_POINTS - 1);
  const offset = HISTORY_POINTS - values.length;
  const points = values.map((v, i) => `${((offset + i) * step).toFixed(1)},${(height - 2 - Math.max(0, v - min) / (max - min || 1) * (height - 4)).toFixed(1)}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  title.textContent = `latency, last ${values.length} s: max ${(Math.max(...known) / 1000).toFixed(2)} ms`;
  svg.append(title);
  return svg;
}

function renderMatrix(links) {
  const now = performance.now();
  const peers = links.nodes.filter(n => !n.local);
  const numbers = [...new Set(links.nodes.flatMap(n => n.links.map(l => l.link)))].sort((a, b) => a - b);
  for (const node of peers) {
    for (const link of node.links) {
      const key = `${node.nodeid}/${link.link}`;
      const last = state.lastSample.get(key) || 0;
      if (now - last < 900) continue;
      state.lastSample.set(key, now);
      const history = state.history.get(key) || [];
      history.push(link.connected ? link.latency_us : 0);
      if (history.length > HISTORY_POINTS) history.shift();
      state.history.set(key, history);
    }
  }
  $('matrix').tHead.replaceChildren(h('tr', {}, h('th', { text: 'Peer' }), numbers.map(n => h('th', { text: `Link ${n}` }))));
  $('matrix').tBodies[0].replaceChildren(...peers.map(node => h('tr', { 'data-peer': node.nodeid },
    h('th', {}, h('div', { text: node.name }), h('div', { class: 'small', text: `node ${node.nodeid}${node.reachable ? '' : ' · unreachable'}` })),
    numbers.map(number => {
      const link = node.links.find(l => l.link === number);
      if (!link) return h('td', { class: 'cell state-none', 'data-peer': node.nodeid, 'data-link': number, 'data-state': 'none' }, h('div', { class: 'state', text: 'not configured' }));
      const value = cellState(link);
      const latency = link.connected && link.latency_us > 0 ? `${(link.latency_us / 1000).toFixed(2)} ms` : '–';
      return h('td', { class: 'cell state-' + value, 'data-peer': node.nodeid, 'data-link': number, 'data-state': value, title: `${link.local_addr} → ${link.remote_addr}` },
        h('div', { class: 'state', text: value }),
        h('div', { class: 'meta' }, h('span', { class: 'priority', text: `pri ${link.priority}` }), ' · ', h('span', { class: 'latency', text: latency }),
          link.enabled ? null : ' · disabled'),
        sparkline(state.history.get(`${node.nodeid}/${number}`) || []),
        h('div', { class: 'counts' }, h('span', { class: 'up', text: `up ${link.up_count}` }), ' ', h('span', { class: 'down', text: `down ${link.down_count}` })));
    }))));
  const dropped = links.dropped;
  $('dropped').textContent = dropped ? `Dropped packets: ${Object.entries(dropped).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}` : '';
}

// ---- live stream ----
function listen() {
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => { $('live').textContent = 'live'; $('live').dataset.live = 'yes'; });
  source.addEventListener('error', () => { $('live').textContent = 'reconnecting'; $('live').dataset.live = 'no'; });
  source.addEventListener('status', message => renderStatus(JSON.parse(message.data)));
  source.addEventListener('cluster', message => renderEvent(JSON.parse(message.data)));
}

// ---- config page ----
let checkTimer = null;
let checkSerial = 0;

async function loadConfig() {
  const config = await api('/api/config');
  state.runningConfig = config.text;
  $('config-text').value = config.text;
  renderAnnotated(config.text, []);
  renderDiff();
  $('config-summary').textContent = config.file;
}

function scheduleCheck() {
  renderDiff();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkConfig, 300);
}

async function checkConfig() {
  const serial = ++checkSerial;
  const text = $('config-text').value;
  if (text === state.runningConfig) {
    renderAnnotated(text, []);
    $('config-summary').textContent = 'unchanged';
    return;
  }
  $('config-summary').textContent = 'checking…';
  try {
    const outcome = await post('/api/config/check', text);
    if (serial !== checkSerial) return;
    renderOutcome(text, outcome, false);
  } catch (error) {
    if (serial === checkSerial) $('config-summary').textContent = error.message;
  }
}

function renderOutcome(text, outcome, applied) {
  renderAnnotated(text, outcome.messages);
  const errors = outcome.messages.filter(m => m.severity === 'error').length;
  const raised = outcome.raised_version ? ` · config_version ${applied ? 'raised' : 'will be raised'} to ${outcome.raised_version}` : '';
  const summary = outcome.error ? outcome.error
    : errors ? `${errors} error${errors > 1 ? 's' : ''}`
    : outcome.ok ? (applied ? 'applied on every member' : 'valid') + raised
    : 'refused';
  $('config-summary').textContent = summary;
  $('config-summary').dataset.ok = outcome.ok ? 'yes' : 'no';
  const report = outcome.report;
  const lines = [];
  if (report) {
    for (const line of report.applied) lines.push(`${applied ? 'applied' : 'would apply'}: ${line}`);
    for (const line of report.refused) lines.push(`refused: ${line}`);
    for (const member of report.members || []) lines.push(`node ${member.nodeid} (${member.name}): ${member.outcome}${member.reason ? ' – ' + member.reason : ''}`);
    for (const line of report.warnings || []) lines.push(`warning: ${line}`);
  }
  $('config-report').textContent = lines.join('\n');
}

function renderAnnotated(text, messages) {
  const byLine = new Map();
  for (const message of messages) {
    const list = byLine.get(message.line) || [];
    list.push(message);
    byLine.set(message.line, list);
  }
  const rows = [];
  for (const message of byLine.get(0) || []) rows.push(h('div', { class: 'message ' + message.severity, 'data-line': 0, text: message.message }));
  text.split('\n').forEach((line, index) => {
    const number = index + 1;
    const found = byLine.get(number) || [];
    const worst = found.some(m => m.severity === 'error') ? 'error' : found.length ? 'warning' : null;
    rows.push(h('div', { class: 'line' + (worst ? ' ' + worst : ''), 'data-line': number }, h('span', { class: 'number', text: number }), h('span', { class: 'text', text: line || ' ' })));
    for (const message of found) rows.push(h('div', { class: 'message ' + message.severity, 'data-line': number, text: `${message.severity}: ${message.message}` }));
  });
  $('config-annotated').replaceChildren(...rows);
  $('config-annotated').dataset.errors = messages.filter(m => m.severity === 'error').length;
}

// Longest common subsequence over lines: '-' removed from the running file, '+' added, two lines of context.
function renderDiff() {
  const before = (state.runningConfig || '').split('\n');
  const after = $('config-text').value.split('\n');
  const out = $('config-diff');
  if (before.length * after.length > 4_000_000) { out.textContent = '(too long to compare)'; return; }
  const n = before.length, m = after.length;
  const common = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    common[i][j] = before[i] === after[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
  const lines = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) { lines.push([' ', before[i++]]); j++; }
    else if (j < m && (i >= n || common[i][j + 1] >= common[i + 1][j])) lines.push(['+', after[j++]]);
    else lines.push(['-', before[i++]]);
  }
  const keep = lines.map((line, k) => lines.slice(Math.max(0, k - 2), k + 3).some(l => l[0] !== ' '));
  const shown = [];
  lines.forEach((line, k) => {
    if (keep[k]) shown.push(h('div', { class: line[0] === '+' ? 'added' : line[0] === '-' ? 'removed' : 'same', text: `${line[0]} ${line[1]}` }));
    else if (k > 0 && keep[k - 1]) shown.push(h('div', { class: 'gap', text: '…' }));
  });
  out.replaceChildren(...(shown.length ? shown : [h('div', { class: 'same', text: 'no changes' })]));
}

async function applyConfig() {
  const text = $('config-text').value;
  $('config-summary').textContent = 'applying…';
  try {
    const outcome = await post('/api/config/apply', text);
    renderOutcome(text, outcome, true);
    if (outcome.ok) { state.runningConfig = null; await loadConfig(); $('config-summary').textContent = 'applied on every member'; }
  } catch (error) {
    $('config-summary').textContent = error.message;
  }
}

// ---- join information ----
async function loadJoinInfo() {
  const result = await api('/api/join-info');
  $('join-info').value = result.ok ? result.value : '';
  $('join-details').textContent = result.output;
}

async function copyJoinInfo() {
  const text = $('join-info').value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    $('join-info').select();
    document.execCommand('copy');
  }
  $('join-copied').textContent = 'copied';
}

// ---- create and join forms ----
function linkRow(body, withPriority) {
  const used = new Set([...body.rows].map(r => Number(r.dataset.link)));
  let number = 0;
  while (used.has(number) && number < LINKS_MAX) number++;
  if (number >= LINKS_MAX) return;
  const select = h('select', { class: 'link-number', 'aria-label': 'link number' },
    [...Array(LINKS_MAX).keys()].map(n => h('option', { value: n, text: `Link ${n}`, selected: n === number })));
  const row = h('tr', { 'data-link': number },
    h('td', {}, select),
    h('td', {}, h('input', { class: 'link-address', required: true, placeholder: 'IP address', autocomplete: 'off' })),
    withPriority ? h('td', {}, h('input', { class: 'link-priority', type: 'number', min: 0, max: 255, placeholder: 'default' })) : null,
    h('td', {}, h('button', { type: 'button', class: 'remove', text: 'Remove' })));
  select.addEventListener('change', () => { row.dataset.link = select.value; });
  row.querySelector('.remove').addEventListener('click', () => { if (body.rows.length > 1) row.remove(); });
  body.append(row);
}

function linkRows(body) {
  return [...body.rows].map(row => {
    const priority = row.querySelector('.link-priority');
    return {
      link: Number(row.querySelector('.link-number').value),
      address: row.querySelector('.link-address').value.trim(),
      priority: priority && priority.value !== '' ? Number(priority.value) : null,
    };
  });
}

async function submitSetup(event, path, form, output) {
  event.preventDefault();
  output.textContent = 'working…';
  output.dataset.ok = '';
  try {
    const result = await post(path, form(), true);
    output.textContent = result.output;
    output.dataset.ok = result.ok ? 'yes' : 'no';
  } catch (error) {
    output.textContent = error.message;
    output.dataset.ok = 'no';
  }
}

// ---- start ----
async function start() {
  $('logout').addEventListener('click', async () => { await fetch('/logout', { method: 'POST', headers: { 'X-Rookery': '1' } }); location.href = '/login'; });
  window.addEventListener('hashchange', showTab);
  $('config-text').addEventListener('input', scheduleCheck);
  $('config-apply').addEventListener('click', applyConfig);
  $('config-reset').addEventListener('click', () => { state.runningConfig = null; loadConfig(); });
  $('join-copy').addEventListener('click', copyJoinInfo);
  linkRow($('create-links'), true);
  linkRow($('join-links'), false);
  $('create-add').addEventListener('click', () => linkRow($('create-links'), true));
  $('join-add').addEventListener('click', () => linkRow($('join-links'), false));
  $('create-form').addEventListener('submit', e => submitSetup(e, '/api/create',
    () => ({ cluster_name: $('create-name').value.trim(), links: linkRows($('create-links')), node_name: $('create-node').value.trim() || null }), $('create-output')));
  $('join-form').addEventListener('submit', e => submitSetup(e, '/api/join',
    () => ({ information: $('join-paste').value.trim(), links: linkRows($('join-links')), node_name: $('join-node').value.trim() || null }), $('join-output')));

  const web = await api('/api/state');
  state.mode = web.in_cluster ? 'cluster' : 'setup';
  document.body.dataset.mode = state.mode;
  showTab();
  if (web.in_cluster) listen();
  else { $('live').textContent = 'no cluster'; $('cluster-name').textContent = 'not in a cluster'; }
  document.body.dataset.ready = 'yes';
}

start();
