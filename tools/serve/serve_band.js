// haven serve: the panel's band (the edited scenario run with many seeds, and with parameter values from a sweep's
// ranges when asked; 5-95% shaded as members stream in) and its saving and downloads. Loaded before serve.js, which
// calls window.havenServeParts.bandAndSave with what the panel shares.
(function () {
  'use strict';
  window.havenServeParts = window.havenServeParts || {};
  // `session`, `info` and `bandGeneration` give their values now (a band that began under an earlier generation is
  // dropped); `showBand(bands, varied)` draws a band; `markSaved(state)` notes the session state saved.
  window.havenServeParts.bandAndSave = ({
    el, words, number, config, body, bandBox, saveBox, call, queued, sessionState, nameWithoutUnits,
    session, info, bandGeneration, showBand, markSaved,
  }) => {
    // Which parameters a band with parameter uncertainty varies, over which ranges (from the sweep file), and which
    // the edits hold at the value set.
    const uncertaintyNote = el('p', { class: 'note', id: 'serve-uncertainty-note' });
    const valueFormat = new Intl.NumberFormat('en-GB');  // made once: toLocaleString makes one a call
    function describeUncertainty() {
      const u = info() && info().uncertainty;
      if (!u) return;
      const rawUnits = new Map(info().parameters.map((p) => [`parameters.${p.name}`, p.units]));
      const units = new Map(info().parameters.map((p) => [`parameters.${p.name}`, p.units === '1' ? '' : ` ${p.units}`]));
      const value = (v) => valueFormat.format(Number(v.toPrecision(3)));
      const range = (p) => `${nameWithoutUnits(p.name, rawUnits.get(p.path))} ${value(p.minimum)}–${value(p.maximum)}${units.get(p.path) || ''}${p.scale === 'log' ? ' (log scale)' : ''}`;
      const varied = u.parameters.filter((p) => !p.held);
      // What is held, by why: a value edited here, or given when the server started, or set by the variant, stays as
      // it is; a key of an event not in this run has no value to draw.
      const because = [['edited', 'held at your edited values'], ['started_with', 'held at the values the server started with'],
        ['variant', 'held at the variant\'s values'], ['not_in_run', 'not drawn (their event is not in this run)']];
      const held = because.map(([why, words_]) => [words_, u.parameters.filter((p) => p.held && p.held_because === why)])
        .filter(([, ps]) => ps.length).map(([words_, ps]) => `; ${words_}: ${ps.map((p) => words(p.name)).join(', ')}`);
      uncertaintyNote.textContent = `Each seed also gets its own values of ${varied.length ? varied.map(range).join(', ') : 'no parameter'}` +
        ` (a ${u.method === 'lhs' ? 'Latin hypercube' : 'random'} design over the ranges of ${u.sweep}, the same each time)` +
        `${held.join('')}.`;
    }

    function fillBandAndSave(saving, limits) {
      const most = (limits && limits.max_ensemble_members) || 50;
      const members = el('input', { type: 'number', min: 2, max: most, value: Math.min(20, most), class: 'short', id: 'serve-members' });
      // Offered only when a sweep file gives parameter ranges for this scenario.
      const varying = el('input', { type: 'checkbox', id: 'serve-band-parameters' });
      const progress = el('span', { id: 'serve-band-status' });
      const button = el('button', { type: 'button', id: 'serve-band-button' }, 'Show the band');
      button.addEventListener('click', async () => {
        button.disabled = true;
        const started = performance.now();
        let generation = -1;
        let pending = null;  // a redraw waiting for its turn (below)
        progress.textContent = 'running…';
        try {
          // Asked in turn with the edits, so that it is the band of the scenario on screen once they are answered;
          // the queue waits only for its answer to begin, not for every seed.
          const asked = new Promise((resolve, reject) => {
            const wanted = queued(async () => {
              generation = bandGeneration();
              try {
                resolve(await fetch(`/api/sessions/${session()}/ensemble`, {
                  method: 'POST', headers: { 'Content-Type': 'application/json' },
                  body: JSON.stringify({ members: Number(members.value), parameters: Boolean(info().uncertainty) && varying.checked }),
                }));
              } catch (e) { reject(e); }
            });
            if (!wanted) reject(new Error('too many edits are waiting'));
          });
          const response = await asked;
          if (!response.ok) { progress.textContent = (await response.json()).error; return; }
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = '';
          // The chart and the count are redrawn at most every 500 ms while members stream in, and at once for the
          // last: each redraw takes the page's share of the cores the server's runs are using (redrawn for each of
          // 20 members, Chromium took ~0.7 CPU-s during a ~2 s band, and the band ~0.3 s longer: docs/benchmarks.md).
          let drawnAtMs = -Infinity;
          let last = null;  // the last line drawn or waiting to be
          const seeds = (line) => `${line.done} of ${line.total} seeds${line.parameters ? ' and parameter sets' : ''}`;
          const draw = (line) => {
            clearTimeout(pending);  // this line, or a later one, replaces the one waiting
            drawnAtMs = performance.now();
            showBand(line.bands, line.parameters);
            progress.textContent = `${seeds(line)}${line.finished ? '' : '…'}`;
          };
          const drawSoon = (line) => {
            clearTimeout(pending);
            last = line;
            const waitMs = drawnAtMs + 500 - performance.now();
            if (waitMs <= 0) draw(line);
            else pending = setTimeout(() => { if (generation === bandGeneration()) draw(line); }, waitMs);
          };
          let ended = false;  // the last member's line, or an error, came
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            if (generation !== bandGeneration()) {  // the scenario changed under it: not its band any more
              reader.cancel();
              progress.textContent = 'the scenario changed while the band ran: ask for it again';
              break;
            }
            buffer += decoder.decode(value, { stream: true });
            let at;
            while ((at = buffer.indexOf('\n')) >= 0) {
              const line = JSON.parse(buffer.slice(0, at));
              buffer = buffer.slice(at + 1);
              if (line.error) {
                // A member stopped at its limit or failed (or the server is stopping): what came before is drawn,
                // and said to be partial, with why.
                ended = true;
                if (last && generation === bandGeneration()) draw(last);  // draw() clears a redraw still waiting
                progress.textContent = last ? `${seeds(last)}, then ${line.error}` : line.error;
                continue;
              }
              if (!line.finished) { drawSoon(line); continue; }
              ended = true;
              draw(line);
              body.dataset.bandMs = (performance.now() - started).toFixed(0);
              body.dataset.bandServerMs = line.elapsed_ms.toFixed(0);  // the server's own time for the band
              const b = line.bands.newly_away;
              const peak = b.p50.reduce((best, v, t) => (v > b.p50[best] ? t : best), 0);
              progress.textContent += ` in ${(performance.now() - started).toFixed(0)} ms; at the peak, newly displaced ` +
                `${number(b.p5[peak])} to ${number(b.p95[peak])} (5–95%)`;
            }
          }
          if (!ended && last && generation === bandGeneration()) {
            // The stream ended before its last member without saying why (the connection was cut): what came is drawn,
            // and said to be partial.
            draw(last);
            progress.textContent = `${seeds(last)}: the band stopped before its last seed`;
          }
        } catch (e) {
          progress.textContent = `no band: ${e.message}`;
        } finally {
          clearTimeout(pending);
          button.disabled = false;
        }
      });
      bandBox.append(el('p', { class: 'note' }, 'Runs the edited scenario with many random seeds and shades where 90% of them fall (5–95%).'),
        el('div', { class: 'serve-row' }, el('label', {}, 'Seeds ', members), button, progress));
      if (info().uncertainty) {
        bandBox.append(el('div', { class: 'serve-row' }, el('label', { for: 'serve-band-parameters' }, varying,
          ` include parameter uncertainty (from ${info().uncertainty.sweep})`)), uncertaintyNote);
        describeUncertainty();
      }

      const name = el('input', { type: 'text', value: `${config.name.replace(/\.ya?ml$/, '')}-what-if`, id: 'serve-save-name', pattern: '[A-Za-z0-9_-]+' });
      const saved = el('span', { id: 'serve-save-status' });
      // In turn with the edits, so that what is saved is the session the page shows; one save at a time.
      const sendSave = async (form, as, overwrite) => {
        const state = sessionState();
        const { status: code, json } = await call('POST', `/api/sessions/${session()}/save`, { form, name: as, overwrite: Boolean(overwrite) });
        const file = `${as}.yaml`;
        if (code === 409 && !overwrite) {
          if (window.confirm(`${file} is already in the output folder. Replace it?`)) return sendSave(form, as, true);
          saved.textContent = `not saved: ${file} is already there; give another name`;
          body.dataset.saved = '';
          return;
        }
        saved.textContent = code === 201 ? `saved ${json.path}; ${json.run} runs it` : json.error;
        body.dataset.saved = code === 201 ? json.saved : '';
        if (code === 201) markSaved(state);
      };
      const save = (form) => {
        // The name on screen when Save was clicked, with the form: the overlay and the scenario of one name are two
        // files, and saving one never replaces the other.
        const as = `${name.value}-${form}`;
        const enable = (on) => saveButtons.forEach((b) => { b.disabled = !on; });
        enable(false);
        const sent = queued(async () => {
          try { await sendSave(form, as); } finally { enable(true); }
        });
        if (!sent) enable(true);
      };
      const saveButtons = [
        el('button', { type: 'button', id: 'serve-save-overlay', disabled: !saving, onclick: () => save('overlay') }, 'Save overlay'),
        el('button', { type: 'button', id: 'serve-save-scenario', disabled: !saving, onclick: () => save('scenario') }, 'Save scenario')];
      // Downloads (the page stays: no question about leaving it).
      const downloads = [
        el('a', { 'data-file': 'overlay.yaml', id: 'serve-download-overlay', download: '' }, 'Download the overlay'),
        el('a', { 'data-file': 'scenario.yaml', id: 'serve-download-scenario', download: '' }, 'the scenario'),
        el('a', { 'data-file': 'report.html', id: 'serve-download-report', download: '' }, 'the report')];
      saveBox.append(
        el('div', { class: 'serve-row' }, el('label', {}, 'Name ', name)),
        el('p', { class: 'note' }, 'Saved and downloaded as NAME-overlay.yaml, NAME-scenario.yaml (and NAME-report.html).'),
        el('div', { class: 'serve-row' }, ...saveButtons),
        saved,
        el('p', { class: 'note' }, saving ? 'Files go to the folder haven serve was given (--output-dir).' : 'Saving on the server is off (start haven serve with --output-dir); downloads work.'),
        el('div', { class: 'serve-row' }, ...downloads),
        // What the report holds: the runs drawn as lines, not a band (the server keeps no band's members).
        el('p', { class: 'note', id: 'serve-report-note' }, 'The report holds the run on screen beside the scenario as written, not a band: for a report with one, save the scenario and sweep its seeds (haven sweep).'));
      // Downloaded files are named by the Name field too, as Save names them (NAME-overlay.yaml, NAME-scenario.yaml,
      // NAME-report.html); a name Save would refuse leaves them the scenario's.
      const nameDownloads = () => {
        const asked = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/.test(name.value) ? `?name=${encodeURIComponent(name.value)}` : '';
        downloads.forEach((a) => { a.href = `/api/sessions/${session()}/${a.dataset.file}${asked}`; });
      };
      name.addEventListener('input', nameDownloads);
      // And at the click: the session may have been made again since (a new id).
      downloads.forEach((a) => a.addEventListener('click', nameDownloads));
      nameDownloads();
    }

    return { fillBandAndSave, describeUncertainty };
  };
})();
