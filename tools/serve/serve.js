// haven serve: the editing panel of the what-if page. The report's page (tools/report/report.js) draws the map,
// headline figures and charts; this script sends edits to the server, which checks and runs them, and hands each
// new run to window.havenReport.showRun. The page talks only to the server it came from.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('serve-config').textContent);
  const report = window.havenReport;
  const body = document.body;
  body.classList.add('serve');
  let session = null;
  let info = null;
  let ghost = null;
  let bands = null;
  let bandVaried = null;  // the band's parameters when it drew them from a sweep's ranges
  let busy = false;
  let moving = null;  // the event the next click on the map centres
  let savedEdits = '';  // the session's variant and edits when it was last saved
  const sessionState = () => JSON.stringify([info.variant || '', info.edits]);

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  };
  const numberFormat = new Intl.NumberFormat('en-GB');  // made once, as in report.js
  // A day of the scenario as the report writes dates: "24 Jan 2020".
  const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const dayDate = (day) => dateFormat.format(new Date(Date.parse(`${info.start_date}T00:00:00Z`) + day * 86400000));
  const number = (n) => (n === null || n === undefined || !isFinite(n)) ? '–' : numberFormat.format(Math.round(n));
  const words = (s) => s.replace(/_/g, ' ');
  // A number typed in a field, or null when it is blank or not a number (Number('') would be 0).
  const typedNumber = (input) => {
    const text = String(input.value).trim();
    const value = text === '' ? NaN : Number(text);
    return Number.isFinite(value) ? value : null;
  };
  // A date field's value is sent when it is picked, left, or confirmed with Enter. Typing one fires `change` at
  // every complete date on the way (the 2 of 25 Dec), which must not be sent as 2 Dec.
  function sendWhenDone(input, send) {
    let sent = input.value;
    let typedAt = -Infinity;
    const commit = () => {
      // A row built again for a newer answer leaves its old field behind, half typed: it sends nothing.
      if (!input.isConnected || input.value === sent) return;
      sent = input.value;
      send();
    };
    let typing = false;  // a key is being handled: its change comes in the same task (or, at the latest, soon after)
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { commit(); return; }
      typedAt = performance.now();
      typing = true;
      setTimeout(() => { typing = false; }, 0);
    });
    // Typed: sent when the field is left or Enter is pressed (a pause in typing is not the end of a date).
    input.addEventListener('change', () => { if (!typing && performance.now() - typedAt > 300) commit(); });
    input.addEventListener('blur', commit);
  }

  // ---- the panel ----
  const panel = el('aside', { id: 'serve-panel', 'aria-label': 'What if: edit the scenario' });
  document.body.append(panel);
  const status = el('p', { id: 'serve-status', class: 'serve-status', role: 'status' }, 'Starting a session…');
  const problems = el('div', { id: 'serve-problems', class: 'serve-problems', role: 'alert' });
  // How far the edits moved the headline figures from the run before them: the question asked in the meeting.
  const change = el('p', { id: 'serve-change', class: 'serve-change', hidden: true });
  panel.append(el('h2', {}, 'What if…'), status, change, problems);
  if (report.refit) report.refit();  // the map was laid out for the whole width

  // `refused`: the edit was not applied, and its value stays in the field to be corrected. Another field's refused
  // value keeps its message too (it is still on screen, not in force) until an edit is applied, which puts the
  // scenario's values back.
  function showProblems(target, list, refused = false) {
    problems.replaceChildren();
    // Under the field's row: inside it, the message would split the row between a box and its unit.
    const anchor = target && target.closest ? target.closest('.serve-row, .serve-param') || target : target;
    // A row's other field refused before (an event's "until", then its "from") keeps its message with this one's:
    // its refused value is still in its box.
    const refusedBy = new Map();  // field -> its messages, in the order the fields were refused
    document.querySelectorAll('.serve-field-error').forEach((n) => {
      if (refused && n.previousElementSibling === anchor && n.refusedBy) {
        for (const [field, said] of n.refusedBy) if (field !== target && field.isConnected) refusedBy.set(field, said);
      }
      if (!refused || n.previousElementSibling === anchor) n.remove();
    });
    if (!list || !list.length) return;
    const messages = list.map((d) => d.text || d.message);
    if (anchor) {
      if (refused && target) refusedBy.set(target, messages);
      const shown = refused && target ? [...refusedBy.values()].flat() : messages;
      const span = el('span', { class: 'serve-field-error' }, shown.join('\n'));
      if (refused) span.refusedBy = refusedBy;
      anchor.after(span);
    }
    // A refused value in a box the panel keeps across edits (a road's or place's capacity) is marked, for the next
    // answered edit to clear (fillPanel), as the event rows, built again, put the scenario's values back.
    if (refused && target && target.classList && target.classList.contains('capacity')) target.dataset.refused = '1';
    problems.append(el('ul', {}, ...messages.map((m) => el('li', {}, m))));
  }

  // The refused value stays in its field to be corrected; the next answer puts the scenario's value back.
  const forgetRow = (target) => {
    const row = target && target.closest ? target.closest('[data-event]') : null;
    if (row) eventRows.delete(row.dataset.event);
  };
  const refuse = (target, message) => { showProblems(target, [{ message }], true); forgetRow(target); };
  // Another road or place chosen: a value typed (or refused) for the one before is not this one's.
  const startRowAfresh = (input) => {
    input.value = '';
    delete input.dataset.refused;
    const row = input.closest('.serve-row');
    const next = row ? row.nextElementSibling : null;
    if (next && next.classList.contains('serve-field-error')) next.remove();
  };

  // The answer, and where the time went (ms): waiting for the server's headers, receiving the body, parsing it.
  async function call(method, path, payload) {
    const at = [performance.now()];
    const response = await fetch(path, {
      method, headers: payload ? { 'Content-Type': 'application/json' } : {},
      body: payload ? JSON.stringify(payload) : undefined,
    });
    at.push(performance.now());
    let json = null;
    let text = '';
    try {
      text = await response.text();
      at.push(performance.now());
      json = JSON.parse(text);
      at.push(performance.now());
    } catch (e) { json = { error: `the server answered ${response.status}` }; }
    if (response.status === 404 && session && path.startsWith(`/api/sessions/${session}`) &&
        String(json.error).startsWith('no such session')) sessionLost();
    return { status: response.status, json, ms: at.slice(1).map((t, i) => t - at[i]), chars: text.length };
  }

  // What the session was made of, in order, as the page sent it: each edit and variant switch the server applied
  // (an undo takes the last back, as the server's does). A session the server no longer has (restarted, or pushed
  // out by newer ones) is made again from it, on the planner's word, rather than lost with the page.
  const applied = [];
  let offeringRestart = false;
  // `why`: what stopped the last attempt to make it again, said instead of how a session is lost.
  function sessionLost(why = '') {
    if (offeringRestart) return;
    offeringRestart = true;
    // Said as the panel lists them: the edits, and the starting point a variant switch chose.
    const count = applied.filter((step) => step.path === 'edits').length;
    const from = applied.some((step) => step.path === 'variant')
      ? `, from ${info.variant ? words(info.variant) : 'the scenario as written'}` : '';
    const again = el('button', { type: 'button', id: 'serve-restart' },
      count || from ? `Start a new session with ${count === 1 ? 'this edit' : `these ${count} edits`}${from}` : 'Start a new session');
    again.addEventListener('click', () => { again.disabled = true; queued(restartSession); });
    status.replaceChildren(why ? `${why} ` : 'The server no longer has this session (it was restarted, or newer sessions pushed this one out). ', again);
    body.dataset.sessionLost = 'true';
  }
  async function restartSession() {
    offeringRestart = false;
    delete body.dataset.sessionLost;
    // The server still down (restarting, the usual case): the offer stays, with why, for when it is back.
    try {
      await makeSessionAgain();
    } catch (e) {
      sessionLost(`No answer from the server: ${unstopped(e.message)}.`);
    }
  }
  // A message as the end of a sentence of ours: its own full stop left off.
  const unstopped = (text) => String(text).replace(/\.$/, '');
  async function makeSessionAgain() {
    const created = await call('POST', '/api/sessions', { scenario: config.scenario });
    const reason = (answer) => unstopped(answer.json.error || `the server answered ${answer.status}`);
    if (created.status !== 201) { sessionLost(`A new session could not start: ${reason(created)}.`); return; }
    session = created.json.session;
    let made = 0;
    let refused = false;
    let stopped = '';
    for (const step of applied) {
      const answer = await call('POST', `/api/sessions/${session}/${step.path}`, step.payload);
      if (answer.status !== 200) {
        refused = answer.status === 422;
        stopped = `The changes were not all made again: ${reason(answer)}.`;
        break;
      }
      ++made;
    }
    const kept = applied.length;
    // Only a change the server refuses (422) is dropped, with the ones after it, which were made on top of it. A run
    // cancelled, an error, or the new session lost in turn keeps every change, and the offer is made again.
    if (made < kept && !refused) {
      sessionLost(stopped);
      return;
    }
    applied.splice(made);
    const started = performance.now();
    const { json } = await call('POST', `/api/sessions/${session}/run`);
    forgetBand();
    // Changes: the edits and the variant switches, in the order they were made.
    show(json, started, made === kept ? `A new session, with the ${made === 1 ? 'change' : `${made} changes`} made again.`
      : `A new session: ${made} of the ${kept} changes made again; the next was refused.`);
  }

  // What the last answer leaves to its frame and the task after (the status line, the panel): done at once by
  // finishShown() when the next answer comes first, so that an answer never undoes a later one's (a refused value
  // rebuilt out of its field, its message or status written over).
  let pendingShow = null;
  function finishShown() {
    if (!pendingShow) return;
    const pending = pendingShow;
    pendingShow = null;
    cancelAnimationFrame(pending.frame);
    clearTimeout(pending.timer);
    pending.finish();
  }

  // Draws the run the server sent, with the base run as a ghost and the last band, and times it.
  function show(answer, started, ready) {
    finishShown();
    info = answer;
    ghost = answer.ghost;
    const data = answer.data;
    const phases = [performance.now()];
    // The ghost and band go into the main chart with the run (report.mainExtras): one chart update.
    const below = report.showRun(data.runs[0], data.nodes ? { nodes: data.nodes, corridors: data.corridors } : null);
    describeChange();
    phases.push(performance.now());
    // The headline, map and main chart are drawn by the next frame; the per-place charts below follow.
    delete body.dataset.lastFullMs;
    below.then((drawn) => drawn && requestAnimationFrame(() => { body.dataset.lastFullMs = (performance.now() - started).toFixed(1); }));
    let framed = false;
    const atFrame = () => {
      framed = true;
      const ms = performance.now() - started;
      body.dataset.lastEditMs = ms.toFixed(1);
      body.dataset.lastRunMs = answer.timing_ms.run.toFixed(1);
      body.dataset.lastRunReused = String(Boolean(answer.run_reused));
      body.dataset.lastRunFromDay = String(answer.run_from_day || 0);
      body.dataset.lastRunCores = String(answer.run_cores || 0);
      const how = describeRun(answer);
      status.textContent = ready || `${answer.edits.length} edit${answer.edits.length === 1 ? '' : 's'} · redrawn ${ms.toFixed(0)} ms ` +
        `after the edit (${how})`;
    };
    // The panel (the list of edits, the rows an edit changed, the sliders) in the task after the result's frame:
    // built before it, its ~6 ms held the result off the screen (docs/benchmarks.md). The edit is counted once the
    // panel says it too.
    const panel = () => {
      const panelStarted = performance.now();
      fillPanel();
      // Where the time went (ms): redrawing the report's parts in view (with the ghost and band), the panel.
      body.dataset.phasesMs = [phases[1] - phases[0], performance.now() - panelStarted].map((t) => t.toFixed(1)).join(',');
      body.dataset.editCount = String(answer.edits.length);
    };
    const pending = {
      timer: 0,
      finish: () => { if (!framed) atFrame(); panel(); },
    };
    pending.frame = requestAnimationFrame(() => {
      atFrame();
      pending.timer = setTimeout(() => { if (pendingShow === pending) pendingShow = null; panel(); }, 0);
    });
    pendingShow = pending;
    // A hidden page draws no frames: all at once.
    if (document.hidden) finishShown();
  }

  // The headline figures against the run before any edit (the ghost): the figure with the edits, and by how much
  // it moved. Hidden while there is no edit.
  function describeChange() {
    const now = report.series ? report.series() : null;
    change.hidden = !(ghost && now && info.edits.length);
    if (change.hidden) { change.replaceChildren(); return; }
    const most = (values) => values.reduce((m, v) => Math.max(m, v), 0);
    const moved = (label, value, before) => {
      const delta = Math.round(value) - Math.round(before);
      const share = before !== 0 ? Math.abs(100 * delta / before) : 0;
      const by = delta === 0 ? 'unchanged'
        : `${delta > 0 ? '+' : '−'}${number(Math.abs(delta))}${before === 0 ? '' : share < 0.5 ? ', under 1%' : `, ${delta > 0 ? '+' : '−'}${share.toFixed(0)}%`}`;
      return el('li', {}, `${label} `, el('b', {}, number(Math.round(value))), ` (${by})`);
    };
    change.replaceChildren('Against the run before the edits:', el('ul', {},
      moved('left home', now.leftHome, ghost.left_home[ghost.left_home.length - 1] || 0),
      moved('newly displaced at the peak', most(now.newlyAway), most(ghost.newly_away)),
      moved('the most without shelter on a day', most(now.unsheltered), most(ghost.unsheltered))));
    // Given departures are the observed series: how many leave in all is the scenario's, whatever the edits; a day
    // with no place under armed conflict carries its leavers to the next that has one (docs/model.md).
    if (info.departures_given) {
      change.append(el('p', { class: 'note', id: 'serve-departures-given' },
        'Departures are given by the observed series: how many leave in all stays as observed, as long as some day has a place under armed conflict; edits move where they leave from and go, and the leavers of a day with no such place leave on the next day that has one.'));
    }
  }

  // How an answer's run came about, for the status line. Runs beyond the server's cores wait their turn (others'
  // edits or bands): said when it is worth saying.
  function describeRun(answer) {
    if (answer.run_reused) return 'the same scenario as before: its run was kept';
    const queued = answer.timing_ms.queue || 0;
    return (queued >= 50 ? `it waited ${queued.toFixed(0)} ms for other runs, then ` : '') +
      `the run took ${answer.timing_ms.run.toFixed(0)} ms on the server` +
      (answer.run_from_day ? `, from ${dayDate(answer.run_from_day)} on (the days before are an earlier run's, unchanged)` : '');
  }

  // The ghost of the base run and the band on the main chart: the datasets the report adds to its own.
  function mainExtras(days) {
    const extra = [];
    const line = (label, values, colour) => ({
      label, data: values.map((v, t) => ({ x: days[t], y: v })), borderColor: colour, backgroundColor: colour,
      pointRadius: 0, borderWidth: 1.5, borderDash: [1, 3], serveExtra: true,
    });
    if (ghost && info && info.edits.length) {
      extra.push(line('Base run: newly displaced', ghost.newly_away, '#7fb2d6'));
      extra.push(line('Base run: without shelter', ghost.unsheltered, '#e9a98a'));
    }
    if (bands) {
      // Edged in the band's colour: chance alone often moves these figures by well under 1%, a band thinner than a line.
      const band = (name, colour, label) => {
        extra.push({ ...line(`${label}: 5–95%`, bands[name].p5, colour), fill: false, backgroundColor: colour, borderDash: [], legendPointStyle: 'rect' });
        extra.push({ ...line('', bands[name].p95, colour), fill: '-1', backgroundColor: colour, borderDash: [] });
      };
      const of = `Band of ${bands.members} seeds${bandVaried ? ' and parameter values' : ''}`;
      band('newly_away', 'rgba(0,114,178,0.35)', `${of}, newly displaced`);
      band('unsheltered', 'rgba(213,94,0,0.35)', `${of}, without shelter`);
    }
    return extra;
  }
  report.mainExtras = mainExtras;
  // A band arrived (no new run): the main chart with its extras again.
  function decorate() {
    const chart = report.mainChart();
    if (!chart) return;
    chart.data.datasets = chart.data.datasets.filter((d) => !d.serveExtra);
    chart.data.datasets.push(...mainExtras(chart.data.datasets[0].data.map((p) => p.x)));
    chart.options.plugins.legend.labels.filter = (item) => item.text !== '';
    chart.update('none');
  }

  // One request at a time, in the order they were made: an edit made while another is being answered waits its turn.
  // (Dropped instead, a handle let go on the map during a run stayed where it fell while the event had not moved.)
  const waiting = [];
  const MAX_WAITING = 20;
  function queued(task) {
    if (waiting.length >= MAX_WAITING) {
      status.textContent = `${MAX_WAITING} edits are already waiting for the server; this one was not sent.`;
      return false;
    }
    waiting.push(task);
    body.dataset.waiting = String(waiting.length);
    if (!busy) drain();
    return true;
  }
  async function drain() {
    busy = true;
    body.dataset.busy = 'true';
    while (waiting.length) {
      const task = waiting.shift();
      body.dataset.waiting = String(waiting.length);
      try {
        await task();
      } catch (e) {
        status.textContent = `No answer from the server: ${e.message}`;
      }
    }
    busy = false;
    body.dataset.busy = 'false';
  }

  // `onDone`: called once the edit is answered (applied or not) or could not be queued.
  function edit(payload, target, onApplied, onDone) {
    cancelMove();  // a move waiting for its click is given up by any edit (its own click has given it up already)
    const sent = queued(async () => {
      try { await sendEdit(payload, target, onApplied); } finally { if (onDone) onDone(); }
    });
    if (!sent && onDone) onDone();
  }
  function cancelMove() {
    if (!moving) return;
    moving.target.classList.remove('serve-moving');
    // The point's boxes in the status line go with the move: Enter there later would move the event after all.
    if (moving.boxes && moving.boxes.isConnected) status.textContent = '';
    moving = null;
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && moving) {
      const from = moving.target;
      cancelMove();
      status.textContent = 'Move cancelled.';
      from.focus();  // back to its move button, not lost with the point's boxes
    }
  });
  function simple(path, payload) { cancelMove(); queued(() => sendSimple(path, payload)); }

  // A band drawn for the scenario before an edit no longer applies: its lines and its summary go.
  let bandGeneration = 0;  // a band streaming in for an earlier scenario is dropped
  function forgetBand() {
    bands = null;
    ++bandGeneration;
    const summary = document.getElementById('serve-band-status');
    if (summary) summary.textContent = '';
  }

  // Where an answer's time went, left on <body> for the browser test (docs/serve.md, "Speed").
  function noteTimes(started, { json, ms, chars }) {
    body.dataset.lastFetchMs = (performance.now() - started).toFixed(1);  // the server's answer, parsed
    // Waiting for the answer's headers / receiving its body / JSON.parse, and the server's own time in it.
    body.dataset.fetchPhasesMs = ms.map((t) => t.toFixed(1)).join(',');
    if (json.timing_ms) body.dataset.serverMs = [json.timing_ms.edit, json.timing_ms.run, json.timing_ms.json, json.timing_ms.total].map((t) => (t || 0).toFixed(1)).join(',');
    body.dataset.answerChars = String(chars);
  }

  // A request that runs (an edit, undo, a variant): "Running…" only once its answer keeps the planner waiting.
  // Written at once, it was a repaint while the server ran, on the cores the run shares (docs/benchmarks.md), and a
  // flash too brief to read.
  const RUNNING_SAID_AFTER_MS = 250;
  async function callRunning(path, payload) {
    const runningNotice = setTimeout(() => { status.textContent = 'Running…'; }, RUNNING_SAID_AFTER_MS);
    try {
      return await call('POST', `/api/sessions/${session}/${path}`, payload);
    } finally {
      clearTimeout(runningNotice);
    }
  }

  // The field an edit came from as the panel shows it now. An answer that came in the meantime builds its row again
  // when it changed that event (the same event edited twice in a row): the refused value is put back where the
  // planner sees it, to be corrected, and its message under it.
  // A field as the panel built anew holds it: an event's by its key (its name may have changed with the edit: a
  // moved centre), another by its label.
  const sameField = (field) => {
    const key = field.dataset && field.dataset.key;
    if (key) return document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    const label = field.getAttribute('aria-label');
    return label ? document.querySelector(`[aria-label="${CSS.escape(label)}"]`) : null;
  };
  const liveField = (target) => {
    if (!target || target.isConnected || !target.getAttribute) return target;
    const now = sameField(target);
    if (!now) return target;
    if (now.type !== 'checkbox' && 'value' in target) now.value = target.value;
    return now;
  };

  async function sendEdit(payload, target, onApplied) {
    const started = performance.now();
    // A request that fails outright is reported by drain(), for edits and undo alike.
    const answer = await callRunning('edits', payload);
    finishShown();  // the answer before, if its frame has not come yet
    const { status: code, json } = answer;
    noteTimes(started, answer);
    if (code === 200) {
      forgetBand();
      applied.push({ path: 'edits', payload });
      // Applied; a warning the edit brought (not the scenario's own) is said under the field.
      showProblems(json.warnings && json.warnings.length ? target : null, json.warnings || []);
      show(json, started);
      if (onApplied) onApplied();
    } else {
      target = liveField(target);
      showProblems(target, json.diagnostics || [{ message: json.error }], true);
      forgetRow(target);
      // A switch refused goes back to the scenario's state: a box has no wrong value to correct, unlike a number.
      if (target && target.type === 'checkbox' && payload.kind === 'set' && payload.path.startsWith('parameters.')) {
        const name = payload.path.slice('parameters.'.length);
        const p = info.parameters.find((q) => q.name === name);
        if (p && parameterInputs.has(name)) parameterInputs.get(name)(p.value);
      }
      // (A session lost says so itself, with what to do.)
      if (!offeringRestart) status.textContent = code === 503 ? json.error : 'The edit was not applied (see below).';
      if (payload.kind === 'move_event') drawHandles(true);  // the handle goes back where the event still is
    }
  }

  async function sendSimple(path, payload) {
    const started = performance.now();
    const switching = path === 'variant' && payload.variant !== (info.variant || '');
    const answer = await callRunning(path, payload || {});
    finishShown();
    const { status: code, json } = answer;
    noteTimes(started, answer);
    // An undo made (also when its run was cancelled, below) takes back what the page last recorded.
    if (path === 'undo' && (code === 200 ? json.undone : code === 503)) applied.pop();
    if (code === 200 && switching) applied.push({ path, payload });
    // A variant's answer says which edits it could not keep (json.warnings), and why.
    if (code === 200) { forgetBand(); showProblems(null, json.warnings || []); show(json, started); return; }
    showProblems(null, json.diagnostics || [{ message: json.error }]);
    if (code !== 503) return;
    status.textContent = json.error;
    // An undo whose run was cancelled is made all the same, and a variant switch is taken back: the panel (its
    // edits, undo button and variant list) follows the session, and says what the charts show.
    const now = await call('GET', `/api/sessions/${session}`);
    if (now.status === 200) {
      const data = info.data;
      info = now.json;
      info.data = data;
      fillPanel();
    }
    if (path === 'undo') status.textContent = `${json.error}: the undo was made, but the charts still show the run before it.`;
  }

  // ---- sections of the panel ----
  const sections = {};
  const section = (id, title, open) => {
    const details = el('details', { id, class: 'serve-section', open: open || false }, el('summary', {}, title));
    panel.append(details);
    sections[id] = details;
    return details;
  };
  const editsBox = section('serve-edits', 'Edits made', true);
  const eventsBox = section('serve-events', 'Events: on/off, dates, intensity', true);
  const addBox = section('serve-add', 'Add an event');
  const networkBox = section('serve-network', 'Roads and places');
  const paramsBox = section('serve-parameters', 'Model parameters');
  const bandBox = section('serve-band', 'Band: many seeds', true);
  const saveBox = section('serve-save', 'Save and download', true);

  let eventsTable = null;
  let eventRows = new Map();  // event id -> { signature: its JSON, row }
  let shownNetwork = '';
  let parameterInputs = new Map();  // name -> function(value): the slider and its output set to value
  const keep = (box) => { const summary = box.querySelector('summary'); box.replaceChildren(summary); return box; };

  // The panel built again for the session as it is now. A control the planner is on (a switch pressed with Space,
  // a value typed and Enter) goes with its row when the row is built again: the focus is put on the new one, where
  // a keyboard user left it, not back at the top of the page.
  function fillPanel() {
    const focused = document.activeElement;
    const named = focused && focused !== body && focused.getAttribute;
    const id = named ? focused.id : '';
    buildPanel();
    if (!named || focused.isConnected) return;
    // By its id (Undo, the variant), else by its key (an event's fields, which have no ids).
    const again = (id && document.getElementById(id)) || sameField(focused);
    if (again) again.focus({ preventScroll: true });
  }
  function buildPanel() {
    // Edits and undo.
    keep(editsBox);
    const variants = info.variants || [];
    if (variants.length) {
      const select = el('select', { id: 'serve-variant', 'aria-label': 'Starting point' },
        el('option', { value: '' }, 'the scenario as written'),
        ...variants.map((v) => el('option', { value: v, selected: v === info.variant }, words(v))));
      select.addEventListener('change', () => simple('variant', { variant: select.value }));
      editsBox.append(el('label', {}, 'Start from ', select));
    }
    if ((info.starting_arguments || []).length) {
      // The server's own starting point (haven serve --set-file, --set): under every edit, never undone.
      editsBox.append(el('p', { id: 'serve-starting-point', class: 'note' },
        'Every run starts from the scenario with ', el('code', {}, info.starting_arguments.join(' ')),
        ' (given to haven serve).'));
    }
    // In a planner's words (the server's, as the downloaded report gives them), the exact edit (as the saved
    // overlay's comments give it) in the item's tooltip.
    const list = el('ol', { id: 'serve-edit-list' },
      ...info.edits.map((e) => el('li', { title: e.description }, e.words)));
    // Said beside the list, not as its first item (which would read as one edit).
    const none = info.edits.length ? null : el('p', { class: 'note', id: 'serve-no-edits' }, (info.starting_arguments || []).length
      ? 'None yet: the charts show the starting point above.' : 'None yet: the charts show the scenario as written.');
    editsBox.append(list, ...(none ? [none] : []), el('button', { id: 'serve-undo', type: 'button', disabled: !info.undo, onclick: () => simple('undo') }, info.undo === 'variant' ? 'Undo the variant switch' : 'Undo the last edit'));

    // Events: only the rows whose event changed are built again (an edit changes one or two of ~60).
    if (!eventsTable) {
      keep(eventsBox);
      eventsTable = el('div', { class: 'serve-events' });
      // Idlib lists ~60 events: a word of a place, road, kind or id finds one without scrolling past them all.
      const find = el('input', { type: 'search', id: 'serve-event-filter', placeholder: 'find: a place, road, kind or id', 'aria-label': 'Find an event' });
      find.addEventListener('input', () => filterEvents(find.value));
      // The keyboard's way past ~60 rows of controls: seen only when tabbed to.
      const skip = el('button', { type: 'button', id: 'serve-skip-events', class: 'serve-skip' }, 'Skip past the events');
      skip.addEventListener('click', () => addBox.querySelector('summary').focus());
      eventsBox.append(find, skip, eventsTable);
    }
    const placeName = new Map(info.nodes.map((n) => [n.id, n.name]));
    const rows = [];
    const kept = new Map();
    for (const e of info.events) {
      const signature = JSON.stringify(e);
      const old = eventRows.get(e.id);
      if (old && old.signature === signature) {
        rows.push(old.row);
        kept.set(e.id, old);
        continue;
      }
      const row = el('div', { 'data-event': e.id, class: e.enabled ? 'serve-event' : 'serve-event off' });
      // A ceasefire without a centre holds everywhere: there is nothing to move (moved, it would become a 5 km
      // circle, unsaid). A local one is added with a point instead.
      const everywhere = e.kind === 'ceasefire' && !e.node && e.lat === undefined;
      const road = e.corridor ? info.corridors.find((c) => c.id === e.corridor) : null;
      const where = road ? ` · ${road.from} – ${road.to}`
        : e.from ? ` · ${placeName.get(e.from) || e.from} → ${placeName.get(e.to) || e.to}`
        : e.node ? ` · ${placeName.get(e.node) || e.node}`
        : e.countries ? ` · ${e.countries.join(' – ')}`
        : (e.lat !== undefined ? ` · ${e.near ? `near ${e.near}, ` : ''}${e.lat.toFixed(3)}, ${e.lon.toFixed(3)}` : everywhere ? ' · everywhere' : '');
      // A field's name as a screen reader says it: the event as the row shows it (its kind and where), then the
      // field. Its key (the event's id and the field) finds the field again when an edit builds the row anew.
      const field = (name) => ({ 'data-key': `${e.id} ${name}`, 'aria-label': `${words(e.kind)}${where} (${e.id}): ${name}` });
      const toggle = el('input', { type: 'checkbox', checked: e.enabled, ...field('on') });
      // Its message goes after the label: inside it, a click on the message would toggle the event again.
      toggle.addEventListener('change', () => edit({ kind: 'toggle_event', id: e.id, enabled: toggle.checked }, toggle.closest('label')));
      const date = el('input', { type: 'date', value: e.start_date, ...period(), disabled: !e.enabled, ...field('from') });
      sendWhenDone(date, () => {
        if (!date.value) { refuse(date, 'give the day it starts'); return; }
        edit({ kind: 'set', path: `events.${e.id}.date`, value: date.value }, date);
      });
      const until = el('input', { type: 'date', value: e.until_date || '', ...period(), disabled: !e.enabled, ...field('until'), title: 'the last day it is in force' });
      sendWhenDone(until, () => {
        if (!until.value) {
          refuse(until, "an end date can't be removed here: to make the event last to the end, give the period's last day");
          return;
        }
        edit({ kind: 'set', path: `events.${e.id}.until`, value: until.value }, until);
      });
      const controls = el('div', { class: 'serve-row' }, 'from ', date, ' until ', until);
      if (e.kind === 'bombardment' || e.kind === 'armed_conflict') {
        // A bombardment's strikes per day; an armed conflict's intensity (Flee's, usually 0 to 1, no unit).
        const strikes = e.kind === 'bombardment';
        const strength = el('input', {
          type: 'number', min: 0, step: 'any', value: e.intensity, disabled: !e.enabled, class: 'short',
          title: strikes ? 'strikes per day' : "conflict intensity (Flee's, usually 0 to 1)", ...field('intensity'),
        });
        strength.addEventListener('change', () => {
          const value = typedNumber(strength);
          if (value === null) { refuse(strength, strikes ? 'give the strikes per day as a number' : 'give the intensity as a number'); return; }
          edit({ kind: 'set', path: `events.${e.id}.intensity`, value }, strength);
        });
        controls.append(strikes ? el('span', { class: 'serve-nowrap' }, strength, '/day')
          : el('span', { class: 'serve-nowrap' }, 'intensity ', strength));
      }
      if (e.kind === 'bombardment' || (e.kind === 'ceasefire' && !everywhere)) {
        // The keyboard's way to move it (the map's handle is dragged with a pointer).
        const move = el('button', { type: 'button', class: 'serve-move', disabled: !e.enabled, title: 'Centre it where you click on the map next (or drag its handle on the map)' }, 'move');
        move.addEventListener('click', () => {
          if (moving && moving.id === e.id) { cancelMove(); status.textContent = 'Move cancelled.'; return; }
          cancelMove();
          moving = { id: e.id, target: move };
          move.classList.add('serve-moving');
          // Or typed, for the keyboard: the centre now, to change (a place's event is centred on the place).
          const place = e.node ? info.nodes.find((n) => n.id === e.node) : null;
          const centre = e.lat !== undefined ? [e.lat, e.lon] : place ? [place.lat, place.lon] : ['', ''];
          const box = (label, value) => el('input', { type: 'number', step: 'any', class: 'coordinate', value: value === '' ? '' : Number(value).toFixed(4), ...field(`new ${label}`) });
          const lat = box('latitude', centre[0]);
          const lon = box('longitude', centre[1]);
          const go = el('button', { type: 'button', id: 'serve-move-here' }, 'Move here');
          const send = () => {
            const [y, x] = [typedNumber(lat), typedNumber(lon)];
            if (y === null || x === null) { refuse(y === null ? lat : lon, 'give the latitude and longitude as numbers'); return; }
            edit({ kind: 'move_event', id: e.id, lat: y, lon: x }, move);
          };
          go.addEventListener('click', send);
          for (const input of [lat, lon]) input.addEventListener('keydown', (k) => { if (k.key === 'Enter') send(); });
          const boxes = el('span', {}, el('span', { class: 'serve-nowrap' }, 'lat ', lat), ' ', el('span', { class: 'serve-nowrap' }, 'lon ', lon), ' ', go);
          moving.boxes = boxes;
          status.replaceChildren(`Click the map where ${e.id} should be centred, or give the point: `, boxes,
            ' (Esc or move again to cancel).');
          lat.focus();
        });
        controls.append(move);
      }
      row.append(el('label', { title: e.note }, toggle, ` ${words(e.kind)}${where} `, el('code', {}, e.id)), controls);
      rows.push(row);
      kept.set(e.id, { signature, row });
    }
    eventRows = kept;
    if (rows.length !== eventsTable.children.length || rows.some((row, i) => eventsTable.children[i] !== row)) {
      eventsTable.replaceChildren(...rows);
    }
    filterEvents(document.getElementById('serve-event-filter').value);
    drawHandles();

    // Roads and places, and the parameters' sliders: built again only when what they list changed.
    const networkSignature = JSON.stringify([info.nodes, info.corridors]);
    if (networkSignature !== shownNetwork) {
      shownNetwork = networkSignature;
      fillNetwork();
    } else {
      for (const box of networkBox.querySelectorAll('input.capacity[data-refused]')) { startRowAfresh(box); delete box.dataset.refused; }
    }
    fillParameters();
    describeUncertainty();
    body.dataset.serveReady = 'true';
  }

  // Draggable handles on the centres of the bombardments and ceasefires the map shows (those active on its day):
  // dropping one moves the event there, an edit the server checks like any other.
  const handles = L.layerGroup().addTo(report.map);
  const daySlider = document.getElementById('day');
  const shownDay = () => Number(daySlider ? daySlider.value : 0);
  let shownHandles = '';
  // Drags the map saw, counted on the page (data-handle-drags, data-handle-drops): a drag never seen is told apart
  // from an edit that failed.
  const countOnPage = (key) => { body.dataset[key] = String(Number(body.dataset[key] || 0) + 1); };
  // force: draw them again even if nothing changed (a handle dropped where the server refused the point).
  function drawHandles(force) {
    if (!info) return;
    const day = shownDay();
    const places = new Map(info.nodes.map((n) => [n.id, n]));
    const wanted = [];
    for (const e of info.events) {
      if (!e.enabled || (e.kind !== 'bombardment' && e.kind !== 'ceasefire')) continue;
      if (e.start_day > day || (e.end_day !== undefined && day >= e.end_day)) continue;
      const place = e.node !== undefined ? places.get(e.node) : null;
      const at = e.lat !== undefined ? [e.lat, e.lon] : (place ? [place.lat, place.lon] : null);
      if (at) wanted.push({ e, at });
    }
    const signature = JSON.stringify(wanted.map(({ e, at }) => [e.id, e.kind, at]));
    if (signature === shownHandles && force !== true) return;
    shownHandles = signature;
    handles.clearLayers();
    for (const { e, at } of wanted) {
      const marker = L.marker(at, {
        draggable: true, autoPan: true, title: `${e.id}: drag to move its centre`, zIndexOffset: 1000,
        icon: L.divIcon({ className: `serve-handle serve-handle-${e.kind}`, iconSize: [16, 16] }),
      });
      marker.on('add', () => { marker.getElement().dataset.event = e.id; });
      marker.on('dragstart', () => countOnPage('handleDrags'));
      marker.on('dragend', () => {
        countOnPage('handleDrops');
        handleDroppedAtMs = performance.now();
        const to = marker.getLatLng();
        const row = document.querySelector(`[data-event="${e.id}"] .serve-move`);
        edit({ kind: 'move_event', id: e.id, lat: Number(to.lat.toFixed(5)), lon: Number(to.lng.toFixed(5)) }, row);
      });
      handles.addLayer(marker);
    }
  }
  document.addEventListener('haven-day', () => drawHandles());
  // The browser follows a handle's drop with a click on the map, at the pointer, not the handle: it must not pick a
  // point for the Add form (nor end a move) as if the planner had clicked there.
  let handleDroppedAtMs = -Infinity;
  const justDroppedAHandle = () => performance.now() - handleDroppedAtMs < 500;

  // Rows of events whose words hold every word typed (any order, any case) are shown; the others hidden.
  function filterEvents(text) {
    const wanted = text.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of eventsTable.children) {
      const words = row.textContent.toLowerCase().replace(/_/g, ' ') + ' ' + row.dataset.event.toLowerCase();
      row.hidden = !wanted.every((w) => words.includes(w));
    }
  }

  // A date field's bounds: the scenario's first and last day (the picker offers no other).
  function period() {
    const last = new Date(`${info.start_date}T00:00:00Z`);
    last.setUTCDate(last.getUTCDate() + info.days - 1);
    return { min: info.start_date, max: last.toISOString().slice(0, 10) };
  }

  function nodeSelect(id, label) {
    return el('select', { id, ...(label ? { 'aria-label': label } : {}) }, ...info.nodes.map((n) => el('option', { value: n.id }, n.name)));
  }

  function fillNetwork() {
    // What was chosen stays chosen when the lists are built again (after an edit that closed a road, say).
    const chosen = (id) => { const input = document.getElementById(id); return input ? input.value : ''; };
    const was = { road: chosen('serve-road'), place: chosen('serve-place') };
    keep(networkBox);
    const closedBy = (c) => (c && c.closed_by ? c.closed_by : []);
    const road = el('select', { id: 'serve-road', 'aria-label': 'Road' }, ...info.corridors.map((c) => el('option', { value: c.id },
      `${c.from} – ${c.to}${c.closed ? ' (closed)' : closedBy(c).length ? ' (closed by an event)' : ''}`)));
    const capacity = el('input', { type: 'number', min: 1, step: 'any', class: 'capacity', id: 'serve-road-capacity', 'aria-label': 'Road capacity, people a day' });
    const roadNow = () => {
      const c = info.corridors.find((x) => x.id === road.value);
      capacity.placeholder = c && c.capacity_people_per_day !== undefined ? `now ${number(c.capacity_people_per_day)}/day` : 'no limit now';
    };
    road.addEventListener('change', () => { startRowAfresh(capacity); roadNow(); });
    const roadRow = el('div', { class: 'serve-row' }, road);
    roadRow.append(
      el('button', { type: 'button', onclick: () => edit({ kind: 'set', path: `corridors.${road.value}.closed`, value: true }, roadRow) }, 'Close'),
      el('button', { type: 'button', onclick: () => {
        // A road open in the scenario but closed by an event: its own `closed` is already false, and the edit would
        // change nothing. Say which event closes it instead.
        const c = info.corridors.find((x) => x.id === road.value);
        if (c && !c.closed && closedBy(c).length) {
          const by = closedBy(c).map((b) => `${b.id} (from ${b.start_date}${b.until_date ? ` until ${b.until_date}` : ''})`).join(', ');
          showProblems(roadRow, [{ text: `this road is open in the scenario, but event ${by} closes it: switch the event off under Events to open the road` }]);
          return;
        }
        edit({ kind: 'set', path: `corridors.${road.value}.closed`, value: false }, roadRow);
      } }, 'Open'),
      capacity,
      el('button', { type: 'button', onclick: () => {
        const value = typedNumber(capacity);
        if (value === null) { refuse(capacity, 'give the people a day who may set off on it'); return; }
        edit({ kind: 'set', path: `corridors.${road.value}.capacity_people_per_day`, value }, capacity);
      } }, 'Set capacity'));
    const place = nodeSelect('serve-place', 'Place');
    const places = el('input', { type: 'number', min: 0, step: 1, class: 'capacity', id: 'serve-place-capacity', 'aria-label': 'Place capacity, people' });
    const placeNow = () => {
      const n = info.nodes.find((x) => x.id === place.value);
      // Given, or what the rules give a place without one (a share of its people; no limit at a crossing).
      const now = n ? n.capacity_now : null;  // what the rules apply: a given capacity, or their default
      // Set by an event from day 0, given, or what the rules give it.
      const byDefault = n && n.capacity_by ? ` (event ${n.capacity_by})`
        : n && (n.capacity === undefined || n.capacity === null) ? ' by default' : '';
      places.placeholder = typeof now === 'number' && Number.isFinite(now) ? `now ${number(now)}${byDefault}`
        : now === undefined || now === null ? 'people' : 'no limit now';
    };
    place.addEventListener('change', () => { startRowAfresh(places); placeNow(); });
    const placeRow = el('div', { class: 'serve-row' }, place, places,
      el('button', { type: 'button', onclick: () => {
        const value = typedNumber(places);
        if (value === null) { refuse(places, 'give the people it can shelter'); return; }
        // Shelter is counted in people: 1.5 would be shown as "now 2".
        if (!Number.isInteger(value)) { refuse(places, 'give the people it can shelter as a whole number'); return; }
        edit({ kind: 'set', path: `nodes.${place.value}.capacity`, value }, places);
      } }, 'Set shelter capacity'));
    if (was.road && info.corridors.some((c) => c.id === was.road)) road.value = was.road;
    if (was.place && info.nodes.some((n) => n.id === was.place)) place.value = was.place;
    roadNow();
    placeNow();
    networkBox.append(el('h4', {}, 'A road'), roadRow, el('h4', {}, 'A place'), placeRow);
  }

  function fillParameters() {
    const names = info.parameters.map((p) => p.name).join(',');
    if (parameterInputs.size && [...parameterInputs.keys()].join(',') === names) {
      for (const p of info.parameters) parameterInputs.get(p.name)(p.value);
      return;
    }
    keep(paramsBox);
    parameterInputs = new Map();
    for (const p of info.parameters) {
      if (p.kind === 'on_off') {
        addSwitch(p);
        continue;
      }
      // Wide ranges on a logarithmic slider, so the defaults are not squeezed against one end: log v above a
      // positive minimum; from 0, log(1 + v / default), fine near the default and still reaching the maximum (a
      // softening of 10 km in [0, 10000] km, a rate of 0.01 in [0, 1]). Whole numbers (a count of links) a step at a
      // time, as the scenario takes nothing between them.
      const whole = p.kind === 'whole';
      const log = !whole && p.minimum > 0 && p.maximum / p.minimum > 50;
      const log1p = !whole && p.minimum === 0 && p.default > 0 && p.maximum / p.default > 50;
      const toSlider = (v) => (log ? Math.log(v) : log1p ? Math.log1p(v / p.default) : v);
      const fromSlider = (s) => (log ? Math.exp(s) : log1p ? p.default * Math.expm1(s) : s);
      const lo = toSlider(p.minimum), hi = toSlider(p.maximum);
      const units = p.units === '1' ? '' : p.units;
      const slider = el('input', { type: 'range', min: lo, max: hi, step: whole ? 1 : (hi - lo) / 500, value: toSlider(p.value), id: `serve-param-${p.name}`, 'aria-label': words(p.name) });
      // The slider for a feel of the range, the box for an exact value: a slider's steps rarely land on one.
      const typed = el('input', { type: 'number', step: whole ? 1 : 'any', min: p.minimum, max: p.maximum, value: Number(p.value.toPrecision(4)), class: 'serve-param-value', id: `serve-param-${p.name}-value`, 'aria-label': `${words(p.name)} value` });
      const send = (value, target) => edit({ kind: 'set', path: `parameters.${p.name}`, value }, target);
      slider.addEventListener('input', () => { typed.value = Number(fromSlider(Number(slider.value)).toPrecision(3)); });
      // Arrow keys step the slider a press at a time, each a `change`: sent once the keys pause, one edit and one
      // run for the value reached rather than one per press. A pointer's release is sent at once.
      let keyedAtMs = -Infinity;
      let keyedSend = null;
      slider.addEventListener('keydown', () => { keyedAtMs = performance.now(); });
      slider.addEventListener('change', () => {
        clearTimeout(keyedSend);
        const now = () => { keyedSend = null; send(Number(fromSlider(Number(slider.value)).toPrecision(3)), typed); };
        if (performance.now() - keyedAtMs < 100) keyedSend = setTimeout(now, 600); else now();
      });
      typed.addEventListener('change', () => {
        const value = typedNumber(typed);
        if (value === null) { refuse(typed, 'give a number'); return; }
        send(value, typed);
      });
      // The scenario's value, after every answer: a refused value does not stay on the slider or in the box.
      parameterInputs.set(p.name, (value) => {
        if (document.activeElement !== typed) typed.value = Number(value.toPrecision(4));
        const at = String(toSlider(value));
        if (slider.value !== at && !keyedSend) slider.value = at;  // not under keys still stepping it
      });
      // The name without the units it ends with, which follow it in brackets: "flee max move speed (km/day)".
      const name = nameWithoutUnits(p.name, units);
      paramsBox.append(el('div', { class: 'serve-param', title: p.meaning },
        el('label', { for: `serve-param-${p.name}` }, name,
          units ? el('span', { class: 'serve-units' }, ` (${units})`) : null), slider, typed));
    }
  }

  // A switch (a Flee setting such as starting on foot) is a box to tick: a slider would offer values between off and
  // on that the scenario refuses.
  function addSwitch(p) {
    const box = el('input', { type: 'checkbox', id: `serve-param-${p.name}`, 'aria-label': words(p.name) });
    box.checked = p.value === 1;
    box.addEventListener('change', () => edit({ kind: 'set', path: `parameters.${p.name}`, value: box.checked ? 1 : 0 }, box));
    parameterInputs.set(p.name, (value) => { box.checked = value === 1; });
    paramsBox.append(el('div', { class: 'serve-param serve-switch', title: p.meaning },
      el('label', { for: `serve-param-${p.name}` }, words(p.name)), box));
  }

  // A click on the map that is the panel's own: a handle just dropped, or the point an event is moved to.
  function clickTaken(e) {
    if (justDroppedAHandle()) return true;
    if (!moving) return false;
    const { id, target } = moving;
    cancelMove();
    edit({ kind: 'move_event', id, lat: e.latlng.lat, lon: e.latlng.lng }, target);
    return true;
  }
  const fillAdd = window.havenServeParts.addForm({
    el, words, report, addBox, keep, period, nodeSelect, edit, refuse, info: () => info, clickTaken,
  });

  // A parameter's name in words without the units it ends with (they are said once, after it): "threat kernel km"
  // in km reads "threat kernel", "max departure rate per day" in 1/day "max departure rate".
  function nameWithoutUnits(name, units) {
    if (!units || units === '1') return words(name);
    const spelt = { 'km/day': ' km per day', '1/day': ' per day', 'strikes/day': ' strikes per day' }[units] || ` ${units}`;
    return words(name).endsWith(spelt) ? words(name).slice(0, -spelt.length) : words(name);
  }

  const { fillBandAndSave, describeUncertainty } = window.havenServeParts.bandAndSave({
    el, words, number, config, body, bandBox, saveBox, call, queued, sessionState, nameWithoutUnits,
    session: () => session,
    info: () => info,
    bandGeneration: () => bandGeneration,
    showBand: (drawn, varied) => { bands = drawn; bandVaried = varied; decorate(); },
    markSaved: (state) => { savedEdits = state; },
  });

  // Leaving or reloading the page ends the session: the browser asks first while it holds edits not saved.
  window.addEventListener('beforeunload', (e) => {
    if (info && info.edits && info.edits.length && sessionState() !== savedEdits) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  // For the tests and the curious: the session as the page last heard it.
  window.havenServe = { info: () => info, describeRun };

  (async () => {
    const scenarios = await call('GET', '/api/scenarios');
    const created = await call('POST', '/api/sessions', { scenario: config.scenario });
    if (created.status !== 201) {
      status.textContent = created.json.error || 'The session could not start.';
      return;
    }
    session = created.json.session;
    info = created.json;
    info.data = null;
    fillPanel();
    fillAdd();
    fillBandAndSave(scenarios.json.saving, scenarios.json.limits);
    // The page already shows the base run; the session's first run gives the data the band redraws on.
    const started = performance.now();
    const { json } = await call('POST', `/api/sessions/${session}/run`);
    show(json, started, 'Ready: change anything in this panel; the map and charts follow.');
  })();
})();
