// haven report: draws the page from the JSON blob `haven report` inlined (#report-data), with events.js (the events
// in words), series.js (a run's headline series) and map.js (the map: country outlines, never tiles). No network
// access.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const world = JSON.parse(document.getElementById('world-data').textContent);

  // Okabe-Ito, a palette readable with every common colour-vision deficiency.
  const colour = {
    blue: '#0072B2', orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442',
    vermillion: '#D55E00', purple: '#CC79A7', black: '#000000', grey: '#777777',
  };
  const runColours = [colour.blue, colour.orange, colour.green, colour.purple, colour.sky, colour.vermillion,
    colour.black, colour.yellow];
  const axisWidthPx = 215;  // the main chart and the timeline share it, so their days line up

  // ---- formatting: thousands separators, dates as dates ----
  // One formatter each, made once: n.toLocaleString('en-GB') makes a formatter at every call (~20 µs a number,
  // ~90 µs a date in Chromium), and a redraw formats hundreds (docs/benchmarks.md). The same text, by definition.
  const numberFormat = new Intl.NumberFormat('en-GB');
  const number = (n) => (n === null || n === undefined || !isFinite(n)) ? '–' : numberFormat.format(Math.round(n));
  const signed = (n) => (n > 0 ? '+' : n < 0 ? '−' : '±') + number(Math.abs(n));
  // "1 person", "2 people", as the number is shown.
  const people = (n) => (Math.round(n) === 1 ? 'person' : 'people');
  const [y0, m0, d0] = data.start_date.split('-').map(Number);
  const startMs = Date.UTC(y0, m0 - 1, d0);
  const dateOf = (day) => new Date(startMs + Math.round(day) * 86400000);
  const longDateFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
  const shortDateFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
  const monthFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'short' });
  const longDate = (day) => longDateFormat.format(dateOf(day));
  const shortDate = (day) => shortDateFormat.format(dateOf(day));
  const text = (tag, content, cls) => {
    const el = document.createElement(tag);
    if (content !== undefined) el.textContent = content;
    if (cls) el.className = cls;
    return el;
  };
  const kindWords = {
    town: 'town', city: 'city', camp: 'camp', border_crossing: 'border crossing', transit: 'transit point',
    external: 'outside the area',
  };
  // Leaflet reads a tooltip's or popup's text as HTML: a name (from a scenario, or a third party's Flee CSV) goes in
  // as text, whatever characters it holds.
  const html = (value) => String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const nodes = data.nodes;
  const corridors = data.corridors;
  const lastDay = Math.max(0, data.days - 1);
  const nodeName = (i) => (i >= 0 && i < nodes.length ? nodes[i].name : 'the area');
  const corridorName = (c) => {
    const k = corridors[c];
    return k ? `${nodeName(k.from)} – ${nodeName(k.to)}` : 'a road';
  };
  // A run held in memory (haven serve) names itself ("the scenario with 2 edits"); a run file by its variant.
  const humanVariant = (run) => run.label || (run.variant ? run.variant.replace(/_/g, ' ') : 'the scenario as written');
  // An ensemble (haven sweep + gather) is many runs of one variant: its label says how many.
  const runLabel = (run) => humanVariant(run) + (run.ensemble ? ` (${number(run.ensemble.usable)} runs)` : '');

  // ---- events: in plain words, their colours, and which roads and borders are closed on a day (events.js) ----
  const { eventWords, eventColour, eventKindWords, eventEnd, activeOn, closedState, daysInForce, capturedBy, withCaptureReopenings } =
    window.havenReportEvents({ data, colour, number, nodeName, corridorName });
  // The events of what is shown (the preview's, or the selected run's), with the roads reopened after captures.
  const shownEvents = () => (data.preview ? withCaptureReopenings(data.preview.events, null)
    : withCaptureReopenings(runs[selected].events, runs[selected]));

  // ---- series of one run: the headline series, peaks, bands and gains (series.js) ----
  const { sum, quantile, bandKeys, initialDisplaced, initialResidents, analyse } = window.havenReportSeries({ nodes, corridorCount: corridors.length });
  // A figure of run i: its value, and for an ensemble the median over the members with the 5–95% range.
  function figure(i, valueOf) {
    const a = analyses[i];
    if (!a.members) return { value: valueOf(a) };
    const values = a.members.map(valueOf);
    return { value: quantile(values, 0.5), p05: quantile(values, 0.05), p95: quantile(values, 0.95) };
  }
  const bandWords = (f) => `5–95%: ${number(f.p05)} – ${number(f.p95)}`;

  const runs = data.runs;
  // Runs of one variant (another seed, a --set) would be columns of one name: their files tell them apart.
  const bases = runs.map(humanVariant);
  runs.forEach((run, i) => {
    if (!run.label && run.file && bases.filter((b) => b === bases[i]).length > 1) run.label = `${bases[i]} (${run.file})`;
  });
  const analyses = runs.map(analyse);
  const charts = [];
  let selected = 0;
  let currentDay = 0;

  // ---- header ----
  document.getElementById('title').textContent = data.title;
  const period = `${longDate(0)} to ${longDate(lastDay)}`;
  const subtitle = () => {
    document.getElementById('subtitle').textContent = data.preview
      ? `Preview of the scenario before any run · ${period}`
      : (runs.length > 1 ? `${runs.length} variants compared · ${period}` : `${runLabel(runs[0])} · ${period}`);
  };
  subtitle();

  // ---- headline figures ----
  function headline() {
    const list = document.getElementById('headline');
    list.replaceChildren();
    const item = (parts) => {
      const li = document.createElement('li');
      for (const p of parts) li.append(typeof p === 'string' ? document.createTextNode(p) : p);
      list.append(li);
    };
    const b = (s) => text('b', s);
    const desc = document.getElementById('variant-description');
    if (data.preview) {
      const p = data.preview;
      desc.textContent = p.variant_description || data.description;
      const camps = nodes.filter((n) => n.kind === 'camp').length;
      const borders = nodes.filter((n) => n.kind === 'border_crossing').length;
      item([b(number(nodes.length)), ` places (${number(camps)} camp${camps === 1 ? '' : 's'}, ${number(borders)} border crossing${borders === 1 ? '' : 's'}) and `,
        b(number(corridors.length)), ' roads between them.']);
      item([b(number(initialResidents)), ' people live in the area and ', b(number(initialDisplaced)),
        ` were already displaced on ${longDate(0)}.`]);
      item([b(number(p.events.length)), ` events from ${longDate(0)} to ${longDate(lastDay)} (timeline below).`]);
      item(['Nothing has been simulated yet: run ', text('code', `haven run ${data.source}${p.variant ? ' --variant ' + p.variant : ''}`),
        ' and report the run file for the results.']);
      return;
    }
    const run = runs[selected];
    const a = analyses[selected];
    // The scenario's (or variant's) description, then what was changed on top of it (haven serve's edits).
    // The edits' note starts a sentence of its own ("The scenario with 1 edit: 1. ..."), after a description that
    // ends one.
    const edits = run.edits ? run.edits[0].toUpperCase() + run.edits.slice(1) : '';
    const described = run.variant_description || run.description || '';
    desc.textContent = edits ? [described.trim(), edits].filter(Boolean).join(' ') : described;
    // For an ensemble each figure is the median over its runs, with the range 5–95% of them fall in.
    const f = (valueOf) => figure(selected, valueOf);
    const band = (fig, close) => (fig.p05 === undefined ? close : ` (${bandWords(fig)})${close}`);
    if (a.members) {
      item([`${number(a.members.length)} simulated runs of ${run.variant ? 'this variant' : 'the scenario'}: each figure is the median over the runs, `
        + 'with the range 9 runs in 10 fall within (5–95%).']);
    }
    const leftHome = f((m) => m.leftHome);
    // Flee's rules add the people who flee to the population instead of taking them from a place's: none of them
    // left a home the scenario counts.
    item([b(number(leftHome.value)), run.rules === 'flee'
      ? ` ${people(leftHome.value)} fled between ${longDate(a.days[0])} and ${longDate(a.days[a.end])} (Flee's rules: added to the population, not taken from a place's)`
      : ` ${people(leftHome.value)} left their homes between ${longDate(a.days[0])} and ${longDate(a.days[a.end])}`, band(leftHome, '.')]);
    const atPeak = f((m) => m.newlyAway[m.peak]);
    // The most on the run's last day is no peak: the run ended (--days) while displacement still rose.
    const peakAtEnd = a.peak === a.end && a.end > 0;
    item([peakAtEnd ? 'Displacement had not peaked by the end of the run: on its last day, ' : 'Displacement peaked on ',
      b(longDate(a.days[a.peak])), ': ', b(number(atPeak.value)),
      ` newly displaced ${people(atPeak.value)} ${Math.round(atPeak.value) === 1 ? 'was' : 'were'} away from home`, band(atPeak, ''),
      a.displacedBefore > 0 ? `${atPeak.p05 === undefined ? ' (' : ', '}on top of ${number(a.displacedBefore)} displaced before ${longDate(0)}${atPeak.p05 === undefined ? ')' : ''}.` : '.']);
    const unshelteredAtPeak = f((m) => m.unsheltered[m.peak]);
    if (unshelteredAtPeak.value > 0) {
      const where = a.unshelteredPlacesAtPeak.slice(0, 3).map(([node, v]) => `${nodes[node].name} (${number(v)})`).join(', ');
      item([peakAtEnd ? 'That day ' : 'At that peak ', b(number(unshelteredAtPeak.value)), ` ${people(unshelteredAtPeak.value)} had no shelter at the places they had reached`, band(unshelteredAtPeak, ''),
        where ? `, most of them at ${where}.` : '.']);
    } else {
      // People on the roads or queueing at a full one are away from home and not sheltered either: not said to be.
      item([peakAtEnd ? 'That day everyone who had reached a place had shelter' : 'At that peak everyone who had reached a place had shelter', band(unshelteredAtPeak, '.')]);
    }
    const mostUnsheltered = f((m) => m.unsheltered[m.peakUnsheltered]);
    if (a.peakUnsheltered !== a.peak && mostUnsheltered.value > unshelteredAtPeak.value) {
      item(['The most people without shelter: ', b(number(mostUnsheltered.value)), ` on ${longDate(a.days[a.peakUnsheltered])}`, band(mostUnsheltered, '.')]);
    }
    if (a.borderCols.length > 0 && Math.max(...a.atBorder) === 0) {
      item(['No one was held at a border crossing at any time.']);
    } else if (a.borderCols.length > 0) {
      const atEnd = f((m) => m.atBorder[m.end]);
      const most = f((m) => m.atBorder[m.peakBorder]);
      item([b(number(atEnd.value)), ` people were at border crossings on ${longDate(a.days[a.end])}`, band(atEnd, ''),
        most.value > atEnd.value ? ` (the most: ${number(most.value)} on ${longDate(a.days[a.peakBorder])}).` : '.']);
    }
    const returned = f((m) => m.returned);
    item([b(number(returned.value)), ` ${people(returned.value)} had gone back home by ${longDate(a.days[a.end])}`, band(returned, '.')]);
    if (a.gains.length > 0) {
      // The rise of displaced people present at each place: people displaced before day 0 who moved on count where
      // they went, so a rise can exceed the number who left home in the run (said, or it reads as an error).
      item([`By ${longDate(a.days[a.end])} the displaced people present rose most in `,
        a.gains.slice(0, 3).map(([node, v]) => `${nodes[node].name} (${signed(v)})`).join(', '),
        a.displacedBefore > 0 ? ` (counting those displaced before ${longDate(0)} who moved there).` : '.']);
    }
    // An evacuation with no open route on some days moved nobody on them: said, or the reader takes it as done.
    for (const e of run.events) {
      if (!e.blocked_days || e.blocked_days.length === 0) continue;
      const days = e.blocked_days.length;
      item([`The evacuation from ${nodes[e.node].name} to ${nodes[e.to].name} found `, b('no open route'),
        ` on ${number(days)} day${days === 1 ? '' : 's'} from ${longDate(e.blocked_days[0])}: the people it would have moved stayed at home (the timeline marks the days).`]);
    }
  }

  // ---- variant picker (several runs) ----
  if (runs.length > 1) {
    const label = text('label', 'Show on the map and charts: ');
    const select = document.createElement('select');
    select.id = 'variant-select';
    runs.forEach((run, i) => {
      const option = text('option', runLabel(run));
      option.value = String(i);
      select.append(option);
    });
    select.addEventListener('change', () => { selected = Number(select.value); renderRun(); });
    label.append(select);
    document.getElementById('variant-picker').append(label);
  }

  // ---- comparison table ----
  // The 5–95% band of an ensemble's series as two datasets (the 5th percentile, then the 95th filled down to
  // it), drawn under the median line and left out of the legend.
  function bandDatasets(a, key, col, label) {
    if (!a.band) return [];
    const edge = (q, values) => ({
      label: `${label}, ${q}`, band: true, data: a.days.map((d, t) => ({ x: d, y: values[t] })),
      borderColor: col + '66', backgroundColor: col + '40', borderWidth: 0.5, pointRadius: 0,
      fill: q === '95th percentile' ? '-1' : false,
    });
    return [edge('5th percentile', a.band[key].p05), edge('95th percentile', a.band[key].p95)];
  }
  const hideBands = { filter: (item, chartData) => !chartData.datasets[item.datasetIndex].band };

  function comparison() {
    const ensembles = runs.filter((r) => r.member_totals).length;
    if (runs.length < 2 && ensembles === 0) return;
    document.getElementById('comparison-section').hidden = false;
    const table = document.getElementById('comparison');
    if (runs.length < 2) {
      // One ensemble: the headline gives its figures with their ranges; the charts show the bands.
      document.getElementById('comparison-heading').textContent = `The range over ${number(analyses[0].members.length)} runs`;
      table.closest('.table-wrap').hidden = true;
    }
    document.getElementById('comparison-note').textContent = (runs.length > 1 ? 'Differences are from the first column. ' : '') +
      (ensembles ? (runs.length > 1 ? 'For many runs of a variant: the median over the runs, and the range 9 runs in 10 fall within (5–95%). ' : '') +
        'In the charts, the line is the median over the runs and the shaded band the 5–95% range.' : '');
    const thead = document.createElement('thead');
    const head = document.createElement('tr');
    head.append(text('th', ''));
    runs.forEach((run) => head.append(text('th', runLabel(run))));
    thead.append(head);
    table.append(thead);
    const body = document.createElement('tbody');
    const rows = [
      ['What-if', (r) => r.edits || r.variant_description || r.description, null],
      ['People who left home', null, (a) => a.leftHome],
      // A run cut while displacement still rose has no peak: its most is on its last day, and the note says so.
      ['Newly displaced away from home at the peak', null, (a) => a.newlyAway[a.peak],
        (a) => (a.peak === a.end && a.end > 0 ? `on ${longDate(a.days[a.peak])}, the last day: not yet the peak` : `on ${longDate(a.days[a.peak])}`)],
      ['Without shelter at that peak', null, (a) => a.unsheltered[a.peak]],
      ['The most without shelter on one day', null, (a) => a.unsheltered[a.peakUnsheltered], (a) => a.unsheltered[a.peakUnsheltered] > 0 ? `on ${longDate(a.days[a.peakUnsheltered])}` : ''],
      ['At border crossings at the end', null, (a) => a.atBorder[a.end]],
      ['Gone back home by the end', null, (a) => a.returned],
    ];
    for (const [label, textOf, valueOf, noteOf] of rows) {
      const tr = document.createElement('tr');
      tr.append(text('th', label));
      runs.forEach((run, i) => {
        const td = document.createElement('td');
        if (textOf) {
          // A long text (a scenario's description, the list of a page's edits) opens in place: cut, a reader would
          // not see what changed.
          const whole = textOf(run) || '';
          if (whole.length > 160) {
            const more = document.createElement('details');
            more.append(text('summary', `${whole.slice(0, 160)}…`), text('p', whole));
            td.append(more);
          } else {
            td.textContent = whole;
          }
          td.style.textAlign = 'left';
        } else {
          const fig = figure(i, valueOf);
          const v = fig.value;
          td.append(document.createTextNode(number(v)));
          if (fig.p05 !== undefined) td.append(text('span', bandWords(fig), 'diff band'));
          if (noteOf) td.append(text('span', noteOf(analyses[i]), 'diff'));
          if (i > 0) {
            // The difference of the figures as shown (an ensemble's median may be a half: 899,008.5 shows as
            // 899,009, and its difference from 899,009 is ±0, not −1).
            const whole = (x) => (typeof x === 'number' && isFinite(x) ? Math.round(x) : NaN);
            const shown = whole(v);
            const base = whole(figure(0, valueOf).value);
            const share = base !== 0 ? Math.abs(100 * (shown - base) / base) : 0;
            const pct = base === 0 || shown === base ? ''
              : (share < 0.5 ? ' (under 1%)' : ` (${shown > base ? '+' : '−'}${share.toFixed(0)}%)`);
            td.append(text('span', `${signed(shown - base)}${pct}`, 'diff'));
          }
        }
        tr.append(td);
      });
      body.append(tr);
    }
    table.append(body);
    const perRun = (canvasId, title, key) => {
      const options = timeOptions(title);
      options.plugins.legend.labels.filter = hideBands.filter;
      charts.push(new Chart(document.getElementById(canvasId), {
        type: 'line',
        data: {
          datasets: runs.flatMap((run, i) => {
            const col = runColours[i % runColours.length];
            // A run whose line is another's, day for day, is drawn under it: the legend says so, or the reader
            // takes the hidden line for a missing one.
            const sameAs = runs.findIndex((_, j) => j < i && analyses[j].days.length === analyses[i].days.length &&
              analyses[j].days.every((d, t) => d === analyses[i].days[t] && analyses[j][key][t] === analyses[i][key][t]));
            const label = sameAs < 0 ? runLabel(run) : `${runLabel(run)} (the same line as ${runLabel(runs[sameAs])})`;
            return [...bandDatasets(analyses[i], key, col, runLabel(run)), {
              label, borderColor: col, backgroundColor: col, pointRadius: 0, borderWidth: 2,
              data: analyses[i].days.map((d, t) => ({ x: d, y: analyses[i][key][t] })),
              borderDash: i === 0 ? [] : (i % 2 ? [6, 3] : [2, 2]),
            }];
          }),
        },
        options,
      }));
    };
    perRun('comparison-chart', 'Newly displaced away from home', 'newlyAway');
    perRun('comparison-unsheltered', 'People without shelter', 'unsheltered');
  }

  // Date ticks: the first of each month (every second or third month for long periods), or weeks for short ones.
  function dayTicks(maxLabels) {
    const months = [];
    const first = dateOf(0);
    for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); ; ++m) {
      const day = Math.round((Date.UTC(y, m, 1) - startMs) / 86400000);
      if (day > lastDay) break;
      if (day >= 0) months.push(day);
    }
    if (months.length >= 3) {
      const step = Math.ceil(months.length / maxLabels);
      return months.filter((_, i) => i % step === 0);
    }
    const ticks = [];
    const step = 7 * Math.max(1, Math.ceil(lastDay / maxLabels / 7));
    for (let day = 0; day <= lastDay; day += step) ticks.push(day);
    return ticks;
  }
  const tickLabel = (day, index) => {
    const d = dateOf(day);
    if (d.getUTCDate() !== 1) return shortDate(day);
    const month = monthFormat.format(d);
    return index === 0 || d.getUTCMonth() === 0 ? `${month} ${d.getUTCFullYear()}` : month;
  };

  // ---- shared chart options ----
  function timeOptions(yTitle, extra) {
    const options = {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: true, normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'linear', min: 0, max: lastDay,
          title: { display: true, text: 'Date' },
          afterBuildTicks: (scale) => {
            scale.ticks = dayTicks(scale.chart.width < 500 ? 4 : 9).map((value) => ({ value }));
          },
          ticks: { callback: (v, i) => tickLabel(v, i), maxRotation: 0, autoSkip: false },
        },
        y: {
          beginAtZero: true, title: { display: true, text: yTitle },
          ticks: { callback: (v) => number(v) },
        },
      },
      plugins: {
        legend: {
          position: 'top',
          labels: {
            usePointStyle: true, pointStyle: 'line', boxWidth: 24,
            // Each line's dashes in its legend too (Chart.js draws a point style's line solid), and a dataset may ask
            // for a symbol of its own (haven serve's band: a filled box, where the base run's ghost beside it is a
            // dotted line of a like colour).
            generateLabels: (chart) => Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
              const dataset = chart.data.datasets[item.datasetIndex];
              return { ...item, lineDash: item.lineDash || dataset.borderDash, pointStyle: dataset.legendPointStyle || item.pointStyle };
            }),
          },
        },
        tooltip: {
          callbacks: {
            title: (items) => items.length ? longDate(items[0].parsed.x) : '',
            label: (item) => `${item.dataset.label}: ${number(item.parsed.y)}`,
          },
        },
      },
    };
    return Object.assign(options, extra || {});
  }
  // A vertical line at the day the map shows.
  const dayLine = {
    id: 'dayLine',
    afterDatasetsDraw(chart) {
      const x = chart.scales.x;
      if (!x || chart.config.options.showDay !== true) return;
      const px = x.getPixelForValue(currentDay);
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = colour.grey;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(px, chart.chartArea.top);
      ctx.lineTo(px, chart.chartArea.bottom);
      ctx.stroke();
      ctx.restore();
    },
  };
  Chart.register(dayLine);
  // A chart is a picture to a screen reader: it is named by its figure's caption (or its section's heading) and the
  // series it draws, the figures themselves being in the tables and the headline beside it.
  Chart.register({
    id: 'havenNamed',
    afterUpdate(chart) {
      const canvas = chart.canvas;
      // The figure's caption, else the heading just before the chart's box ("What happened when" for the timeline).
      let heading = canvas.closest('figure')?.querySelector('figcaption');
      for (let at = canvas.parentElement?.previousElementSibling; !heading && at; at = at.previousElementSibling) {
        if (/^H[2-4]$/.test(at.tagName)) heading = at;
      }
      const named = heading?.textContent.trim() || 'Chart';
      const series = chart.data.datasets.filter((d) => !d.band && d.label).map((d) => d.label);
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', series.length ? `${named}: ${series.join('; ')}` : named);
    },
  });

  // ---- the main chart and the event timeline under it ----
  let mainChart = null;
  let timelineChart = null;
  let timelineDrawn = '';  // what the timeline shows (its rows and bars), to leave it alone when that is the same
  // inPlace (haven serve's new run): give the existing charts new data and redraw them without animation, far
  // cheaper than building them again.
  // The timeline's row names, measured in the font the axis draws them in.
  const rowLabelFontPx = 10;
  let rowLabelContext = null;
  const measureRowLabel = (text) => {
    if (!rowLabelContext) {
      rowLabelContext = document.createElement('canvas').getContext('2d');
      rowLabelContext.font = `${rowLabelFontPx}px ${Chart.defaults.font.family}`;
    }
    return rowLabelContext.measureText(text).width;
  };
  function mainCharts(inPlace) {
    if (!inPlace) {
      if (mainChart) mainChart.destroy();
      if (timelineChart) timelineChart.destroy();
      mainChart = null;
      timelineChart = null;
    }
    const events = shownEvents();
    if (!data.preview) {
      const a = analyses[selected];
      const series = (label, values, col, dash) => ({
        label, data: a.days.map((d, t) => ({ x: d, y: values[t] })), borderColor: col, backgroundColor: col,
        pointRadius: 0, borderWidth: 2, borderDash: dash || [],
      });
      const datasets = [
        // An ensemble's median lines, with the 5–95% bands of the two that matter most (left home runs
        // close to newly displaced: its band would hide theirs).
        series('Left home since the start', a.cumulative, colour.black, [2, 3]),
        ...bandDatasets(a, 'newlyAway', colour.blue, 'Newly displaced, away from home'),
        series('Newly displaced, away from home', a.newlyAway, colour.blue),
        ...bandDatasets(a, 'unsheltered', colour.vermillion, 'Without shelter'),
        series('Without shelter', a.unsheltered, colour.vermillion),
        series('At border crossings', a.atBorder, colour.orange, [8, 4]),
        series('Gone back home', a.returnsCum, colour.green, [4, 2]),
      ];
      // haven serve's ghost and band go in with the run's lines: one update, not two.
      if (window.havenReport && window.havenReport.mainExtras) datasets.push(...window.havenReport.mainExtras(a.days));
      if (mainChart) {
        updateInPlace(mainChart, datasets);
      } else {
        const options = timeOptions('People');
        options.showDay = true;
        options.scales.y.afterFit = (scale) => { scale.width = axisWidthPx; };
        options.plugins.legend.labels.filter = hideBands.filter;
        // Its points are {x, y} and sorted already: Chart.js takes them as they are (parsing them was ~0.6 ms of each
        // update in haven serve).
        options.parsing = false;
        mainChart = new Chart(document.getElementById('main-chart'), { type: 'line', data: { datasets }, options });
      }
      document.getElementById('main-chart-heading').textContent = `Over time: ${runLabel(runs[selected])}` +
        (a.band ? ' (lines: the median; shaded: 5–95% of the runs)' : '');
    } else {
      document.getElementById('main-chart-box').hidden = true;
      document.getElementById('main-chart-heading').textContent = 'Events';
    }
    // A row's name as the axis has room for it: whole, else without its bracketed parts, else cut in the middle, so
    // that both ends of a road are kept. Cut at 28 characters, three roads out of one town read alike ("Road closed:
    // Ma'arat al-Nu'm…"), on screen and on paper; the tooltip gives the whole name.
    const timelineRowLabel = (name) => {
      const fits = (text) => measureRowLabel(text) <= axisWidthPx - 16;
      if (fits(name)) return name;
      const plain = name.replace(/ \([^)]*\)/g, '');
      if (fits(plain)) return plain;
      for (let kept = plain.length - 1; kept > 8; --kept) {
        const head = Math.ceil(kept * 0.55);
        const cut = `${plain.slice(0, head)}…${plain.slice(plain.length - (kept - head))}`;
        if (fits(cut)) return cut;
      }
      return `${plain.slice(0, 8)}…`;
    };
    // One row per place or road; bars over the days each event is in force. A closure and an opening of the same
    // road or border decide by the latest in force (closedState()): a closure's bar stops where an opening takes
    // over, and goes on if the opening ends first.
    const rows = [];
    const byKind = new Map();
    events.forEach((e, i) => {
      const row = eventWords(e);
      if (!rows.includes(row)) rows.push(row);
      if (!byKind.has(e.kind)) byKind.set(e.kind, []);
      for (const [from, to] of daysInForce(events, e, i)) byKind.get(e.kind).push({ x: [from, Math.max(to, from + 1)], y: row });
      // An evacuation's days without an open route, over its bar (consecutive days as one span).
      const blocked = e.blocked_days || [];
      for (let k = 0; k < blocked.length;) {
        let end = k + 1;
        while (end < blocked.length && blocked[end] === blocked[end - 1] + 1) ++end;
        if (!byKind.has('evacuation_blocked')) byKind.set('evacuation_blocked', []);
        byKind.get('evacuation_blocked').push({ x: [blocked[k], blocked[end - 1] + 1], y: row });
        k = end;
      }
    });
    document.getElementById('timeline-box').style.height = `${60 + 18 * Math.max(rows.length, 1)}px`;
    const timelineDatasets = [...byKind.entries()].map(([kind, points]) => ({
      label: eventKindWords[kind] || kind.replace(/_/g, ' '), data: points, backgroundColor: eventColour[kind] || colour.grey,
      // Drawn over the evacuation's own bar (a lower order is drawn later), hollow in the evacuation's colour: the
      // days it did not happen, told apart from a closed road's black in the legend.
      order: kind === 'evacuation_blocked' ? -1 : 0,
      ...(kind === 'evacuation_blocked' ? { backgroundColor: '#ffffff', borderColor: eventColour.evacuation, borderWidth: 2, borderSkipped: false } : {}),
    }));
    // haven serve's edits mostly change an event's strength, which the timeline does not show: it is left as it is.
    const timelineKey = JSON.stringify([rows, timelineDatasets]);
    if (timelineChart && timelineKey === timelineDrawn) return;
    timelineDrawn = timelineKey;
    if (timelineChart) {
      timelineChart.data.labels = rows;
      timelineChart.options.scales.y.labels = rows.length ? rows : ['No events'];
      timelineChart.data.datasets = timelineDatasets;
      timelineChart.update('none');
      return;
    }
    const options = timeOptions('');
    options.indexAxis = 'y';
    options.showDay = true;
    options.scales.y = {
      type: 'category', labels: rows.length ? rows : ['No events'], title: { display: false },
      ticks: { autoSkip: false, font: { size: rowLabelFontPx }, callback(value) { return timelineRowLabel(this.getLabelForValue(value)); } },
      afterFit: (scale) => { scale.width = axisWidthPx; },
    };
    options.plugins.tooltip.callbacks = {
      title: (items) => items.length ? items[0].raw.y : '',
      label: (item) => `${longDate(item.raw.x[0])} – ${longDate(item.raw.x[1] - 1)}`,
    };
    options.datasets = { bar: { grouped: false, barPercentage: 0.9, categoryPercentage: 0.9 } };
    options.plugins.legend.labels = { boxWidth: 14 };
    timelineChart = new Chart(document.getElementById('timeline'), {
      type: 'bar',
      data: { labels: rows, datasets: timelineDatasets },
      options,
    });
  }

  // ---- per camp and town: people present against shelter capacity ----
  function capacityFromScenario(node, events, day) {
    let chosen = null;
    events.forEach((e, i) => {
      if (e.kind !== 'capacity_change' || e.node !== node || !activeOn(e, day)) return;
      if (chosen === null || e.start > chosen[0].start || (e.start === chosen[0].start && i > chosen[1])) chosen = [e, i];
    });
    if (chosen) return chosen[0].capacity;
    return isFinite(nodes[node].capacity) ? nodes[node].capacity : null;
  }
  // A place's figure and chart, by node, while it is shown.
  let nodeCharts = new Map();
  // Returns one job per place chart (drawing it), so that haven serve can spread them over idle moments; a
  // report runs them at once. With inPlace, a place shown before keeps its chart, given the new values (an edit
  // reorders the places by their peak, and often shows the same ones): building a chart was ~8 ms each.
  function nodeSection(inPlace) {
    const grid = document.getElementById('node-charts');
    const note = document.getElementById('nodes-note');
    if (data.preview) {
      document.getElementById('nodes-section').hidden = true;
      return [];
    }
    const run = runs[selected];
    const a = analyses[selected];
    const candidates = run.node_index.map((node, col) => [node, col])
      .filter(([node]) => ['camp', 'town', 'city'].includes(nodes[node].kind))
      .map(([node, col]) => [node, col, Math.max(...run.displaced_present.map((row) => row[col]))])
      .filter(([, , peak]) => peak > 0)
      .sort((x, y) => (nodes[y[0]].kind === 'camp') - (nodes[x[0]].kind === 'camp') || y[2] - x[2]);
    const limit = 24;
    const shown = candidates.slice(0, limit);
    const fromFile = Array.isArray(run.capacity);
    note.textContent = `${shown.length} ${shown.length === 1 ? 'place' : 'places'}: the camps first, then the towns with the most displaced people` +
      (candidates.length > limit ? ` (${candidates.length - limit} more not shown)` : '') +
      '. ' + (run.member_totals ? `Each line is the median over the ${number(run.ensemble.usable)} runs. ` : '') +
      (fromFile ? 'Shelter capacity as recorded in the run.' : 'Shelter capacity as the scenario sets it (see the notes).');
    const datasetsOf = (node, col) => {
      const line = (label, values, col2, dash, fill) => ({
        label, data: a.days.map((d, t) => ({ x: d, y: values[t] })), borderColor: col2, backgroundColor: col2,
        pointRadius: 0, borderWidth: 2, borderDash: dash || [], spanGaps: false, fill: fill || false,
      });
      const present = a.days.map((d, t) => run.residents[t][col] + run.displaced_present[t][col]);
      const capacity = a.days.map((d, t) => {
        const v = fromFile ? run.capacity[t][col] : capacityFromScenario(node, run.events, d);
        return v === null || v === undefined ? null : v;
      });
      const datasets = [
        line('People present', present, colour.blue),
        line('of whom displaced', a.days.map((d, t) => run.displaced_present[t][col]), colour.sky, [5, 3]),
        line('Without shelter', a.days.map((d, t) => run.unsheltered[t][col]), colour.vermillion),
      ];
      if (capacity.some((v) => v !== null)) datasets.push(line('Shelter capacity', capacity, colour.black, [2, 2]));
      return datasets;
    };
    const kept = inPlace ? nodeCharts : new Map();
    if (!inPlace) nodeCharts.forEach(({ chart }) => chart && chart.destroy());
    nodeCharts = new Map();
    const jobs = [];
    const figures = shown.map(([node, col]) => {
      const old = kept.get(node);
      kept.delete(node);
      if (old && old.chart) {
        nodeCharts.set(node, old);
        jobs.push(() => { updateInPlace(old.chart, datasetsOf(node, col)); });
        return old.figure;
      }
      const figure = document.createElement('figure');
      figure.append(text('figcaption', `${nodes[node].name} (${kindWords[nodes[node].kind]})`));
      const box = text('div', undefined, 'chart-box');
      const canvas = document.createElement('canvas');
      box.append(canvas);
      figure.append(box);
      const entry = { figure, chart: null };
      nodeCharts.set(node, entry);
      jobs.push(() => {
        const options = timeOptions('People');
        options.plugins.legend.labels.font = { size: 10 };
        entry.chart = new Chart(canvas, { type: 'line', data: { datasets: datasetsOf(node, col) }, options });
      });
      return figure;
    });
    kept.forEach(({ chart }) => chart && chart.destroy());  // places no longer shown
    // Moved, not rebuilt, in one replaceChildren: Chart.js 3's detach watcher (a MutationObserver) sees each canvas
    // removed and added again and leaves its chart be; a canvas left out of the page until a later task would have
    // its chart stopped and sized to nothing.
    const children = grid.children;
    if (figures.length !== children.length || figures.some((f, i) => children[i] !== f)) grid.replaceChildren(...figures);
    if (shown.length === 0) grid.append(text('p', 'No camp or town hosted displaced people in this run.', 'note'));
    return jobs;
  }

  // A chart given new datasets, keeping the dataset objects of the same line (its `key`, else its label) and keys:
  // Chart.js keeps their elements (a new object is a new set of points, built and laid out again).
  function updateInPlace(chart, datasets) {
    const before = chart.data.datasets;
    const line = (d) => d.key || d.label;
    chart.data.datasets = datasets.map((d, i) => {
      const old = before[i];
      if (!old || line(old) !== line(d) || Object.keys(old).join() !== Object.keys(d).join()) return d;
      return Object.assign(old, d);
    });
    chart.update('none');
  }

  // ---- observations against the model ----
  let observationCharts = [];
  // Where an observation was made: one place, the sum over a list of them (UNHCR's total over the camps), or
  // everywhere.
  const observedAt = (obs) => (obs.node >= 0 ? [obs.node] : (obs.nodes || []));
  function observationDatasets(obs) {
    const over = observedAt(obs);
    const datasets = [{
      type: 'scatter', label: 'Reported', data: obs.points.map(([d, v]) => ({ x: d, y: v })),
      borderColor: colour.black, backgroundColor: colour.orange, pointRadius: 5, pointStyle: 'rectRot',
    }];
    if (data.preview) return datasets;
    const run = runs[selected];
    const a = analyses[selected];
    // The model's figure over the same places (null when the run did not record one of them).
    const cols = over.map((n) => a.column.get(n));
    const recorded = !cols.includes(undefined);
    const atPlaces = (r) => (over.length ? cols.reduce((t, c) => t + r[c], 0) : sum(r));
    let model = null;
    if (obs.variable === 'cumulative_displaced') {
      model = run.cumulative_displaced;
    } else if (obs.variable === 'displaced_present') {
      model = recorded ? run.displaced_present.map(atPlaces) : null;
    } else if (obs.variable === 'arrivals') {
      let total = 0;
      model = recorded ? run.arrivals.map((r) => (total += atPlaces(r))) : null;
    }
    if (model) {
      const label = `Model: ${runLabel(run)}${a.band ? ', median' : ''}`;
      if (obs.variable === 'cumulative_displaced' && obs.node < 0) {
        model = a.cumulative;
        datasets.push(...bandDatasets(a, 'cumulative', colour.blue, label).map((d) => Object.assign(d, { type: 'line' })));
      }
      // Its label names the run (with its number of edits); its key stays from run to run (updateInPlace).
      datasets.push({
        type: 'line', key: 'model', label, data: a.days.map((d, t) => ({ x: d, y: model[t] })),
        borderColor: colour.blue, backgroundColor: colour.blue, pointRadius: 0, borderWidth: 2,
      });
    }
    return datasets;
  }
  // With inPlace (a new run of the same scenario: the same observations), each chart is given the new run's lines.
  function observationSection(inPlace) {
    if (inPlace && observationCharts.length && observationCharts.length === data.observations.length) {
      data.observations.forEach((obs, k) => updateInPlace(observationCharts[k], observationDatasets(obs)));
      return;
    }
    observationCharts.forEach((c) => c.destroy());
    observationCharts = [];
    const grid = document.getElementById('observation-charts');
    grid.replaceChildren();
    grid.classList.toggle('wide', data.observations.length < 3);
    if (data.observations.length === 0) {
      document.getElementById('observations-section').hidden = true;
      return;
    }
    const words = { cumulative_displaced: 'People who left home since the start', displaced_present: 'Displaced people present', arrivals: 'Arrivals since the start' };
    for (const obs of data.observations) {
      const figure = document.createElement('figure');
      const names = observedAt(obs).map(nodeName);
      const where = names.length === 0 ? '' : names.length <= 3 ? ` at ${names.join(', ')}`
        : ` at ${names.length} places (${names.slice(0, 2).join(', ')}, …)`;
      const caption = text('figcaption', `${words[obs.variable] || obs.variable}${where} `);
      caption.append(text('code', obs.id));
      caption.title = names.join(', ');
      figure.append(caption);
      const box = text('div', undefined, 'chart-box');
      const canvas = document.createElement('canvas');
      box.append(canvas);
      figure.append(box);
      if (obs.source) figure.append(text('div', `Source: ${obs.source}`, 'note'));
      // A run cut short (--days) draws its days only: the points after them are said, not silently left off.
      const after = obs.points.filter(([d]) => d > lastDay).length;
      if (after > 0) {
        figure.append(text('div', `${after} of the ${obs.points.length} reported points fall after the run's last day, ` +
          `${longDate(lastDay)}, and are not drawn.`, 'note observation-after-end'));
      }
      grid.append(figure);
      const options = timeOptions('People');
      options.plugins.legend.labels.filter = hideBands.filter;
      observationCharts.push(new Chart(canvas, { type: 'scatter', data: { datasets: observationDatasets(obs) }, options }));
    }
  }

  // ---- the map: outlines, places, roads, event areas, labels and legend (map.js) ----
  const { map, bounds, drawMap, drawLabels } = window.havenReportMap({
    data, world, nodes, corridors, runs, analyses, selected: () => selected, colour, number, html, text, kindWords,
    shownEvents, closedState, activeOn, capturedBy,
  });

  // ---- the day slider ----
  const slider = document.getElementById('day');
  const dayLabel = document.getElementById('day-label');
  slider.max = String(lastDay);
  // justUpdated: the charts were just redrawn with a new run's data, no need to draw them again.
  function showDay(day, justUpdated) {
    currentDay = day;
    slider.value = String(day);
    dayLabel.textContent = longDate(day);
    document.getElementById('print-day').textContent = `The map shows ${longDate(day)}.`;
    document.getElementById('map-heading').textContent = `Map on ${longDate(day)}`;
    drawMap(day);
    // For haven serve's handles on the map, whichever way the day changed (the slider, Replay, a new run).
    document.dispatchEvent(new CustomEvent('haven-day', { detail: day }));
    if (mainChart && !justUpdated) mainChart.draw();
    if (timelineChart && !justUpdated) timelineChart.draw();
  }
  slider.addEventListener('input', () => showDay(Number(slider.value)));
  let timer = null;
  const play = document.getElementById('play');
  const playing = (on) => {
    play.textContent = on ? '❚❚ Pause' : '▶ Replay';
    play.setAttribute('aria-label', on ? 'Pause the replay' : 'Replay the period');
  };
  play.addEventListener('click', () => {
    if (timer) { clearInterval(timer); timer = null; playing(false); return; }
    let day = currentDay >= lastDay ? 0 : currentDay;
    playing(true);
    timer = setInterval(() => {
      showDay(day);
      day += Math.max(1, Math.round(lastDay / 150));
      if (day > lastDay) { showDay(lastDay); clearInterval(timer); timer = null; playing(false); }
    }, 80);
  });

  // ---- notes ----
  function footnotes() {
    const list = document.getElementById('footnotes');
    list.replaceChildren();
    const note = (s) => list.append(text('li', s));
    if (data.preview) {
      note(`A preview of ${data.source}: the places, roads and events as written, before anything is simulated.`);
    } else {
      const modes = runs.map((r) => {
        if (r.ensemble) {
          const swept = r.ensemble.parameters.length ? ` and different values of ${r.ensemble.parameters.join(', ')}` : '';
          const shared = r.ensemble.distinct_seeds !== undefined && r.ensemble.distinct_seeds < r.ensemble.usable;
          const seeds = shared
            ? `${number(r.ensemble.distinct_seeds)} random seeds, each shared by the runs of the swept values (common random numbers)`
            : 'each run with its own random seed';
          const spans = r.ensemble.parameters.length
            ? `; the median and range are over the swept values as well as chance, not a forecast of one setting`
            : '';
          return `${runLabel(r)}: ${number(r.ensemble.usable)} simulated runs${r.ensemble.sweep ? ' of the sweep ' + r.ensemble.sweep : ''} ` +
            `(${r.ensemble.usable < r.ensemble.members ? 'of ' + number(r.ensemble.members) + ', the others unusable; ' : ''}` +
            `chance involved, ${seeds}${swept}); each figure is the median over the runs and ` +
            '"5–95%" the range between the 5th and the 95th percentile of the runs' + spans + '; the map and the charts of camps ' +
            'and towns show, for each place and day, the median over the runs';
        }
        return r.mode === 'expected'
          ? `${humanVariant(r)}: the model's expected values (no chance involved)`
          : `${humanVariant(r)}: one simulated run (chance involved; random seed ${r.seed}); another run gives somewhat different figures`;
      });
      note(`How the figures were made: ${modes.join('; ')}.`);
      const before = [...new Set(analyses.map((x) => x.displacedBefore))];
      note('"Newly displaced, away from home": people in places of refuge, on the road or queueing at a full road, less the ' +
        `${before.length === 1 ? number(before[0]) : "people (each run's own: " + runs.map((r, i) => `${runLabel(r)} ${number(analyses[i].displacedBefore)}`).join(', ') + ')'} already displaced on ${longDate(0)}. "At border crossings": displaced people at border ` +
        'crossings and the queues there. "Without shelter": displaced people beyond a place\'s shelter capacity.');
      const noCapacity = runs.filter((r) => !Array.isArray(r.capacity)).map((r) => r.file);
      if (noCapacity.length) {
        note(`Shelter capacity over time is not recorded in ${noCapacity.join(', ')} (an ensemble, or a run file written before Haven recorded it): ` +
          'the charts show capacity as the scenario sets it, where it gives a number, with its capacity changes; places ' +
          'whose capacity the model derives from their population show none.');
      }
      note(`Files: ${runs.map((r) => r.file).join(', ')}; written by ${runs[0].source}; report by ${data.haven}.`);
    }
    note('Country outlines: Natural Earth (public domain), via the world-atlas package. Map and charts are drawn in ' +
      'this page; nothing is downloaded when it is opened.');
  }

  function renderRun() {
    headline();
    mainCharts();
    nodeSection(false).forEach((job) => job());
    observationSection();
    drawLabels();
    showDay(currentDay);
  }
  comparison();
  footnotes();
  renderRun();
  // Charts take the print layout's widths (A4) and back; so does the map, whose view is fitted to the whole network
  // on paper (the screen's view, ~1150 px wide, cut off its east and south in the page's 186 mm) and put back after.
  // A browser says "beforeprint" before it lays the page out for paper: the map's box is given the printed size
  // (A4 less the margins, and the print stylesheet's 120 mm) for the fit, on that signal and on the print media's.
  const resizeAll = () => Object.values(Chart.instances).forEach((chart) => chart.resize());
  const mapBox = document.getElementById('map');
  let screenView = null;
  const toPaper = () => {
    if (!screenView) screenView = { center: map.getCenter(), zoom: map.getZoom() };
    mapBox.style.width = '186mm';
    mapBox.style.height = '120mm';
    map.invalidateSize({ pan: false });
    map.fitBounds(bounds.pad(0.08), { animate: false });
    resizeAll();
  };
  const toScreen = () => {
    mapBox.style.width = '';
    mapBox.style.height = '';
    map.invalidateSize({ pan: false });
    if (screenView) map.setView(screenView.center, screenView.zoom, { animate: false });
    screenView = null;
    resizeAll();
  };
  window.addEventListener('beforeprint', toPaper);
  window.addEventListener('afterprint', toScreen);
  window.matchMedia('print').addEventListener('change', (e) => (e.matches ? toPaper() : toScreen()));
  // haven serve (tools/serve/serve.js) shows a new run of the same network and redraws; a report file never calls it.
  let showGeneration = 0;
  window.havenReport = {
    map, mainChart: () => mainChart,
    // The shown run's headline series (as the headline reads them), for haven serve's comparison with the base run.
    series() { const a = analyses[selected]; return { leftHome: a.leftHome, newlyAway: a.newlyAway, unsheltered: a.unsheltered }; },
    // The roads the page reopens when a capture ends, [day, road], as the engine's log should have them (tests).
    // derived: as the page works them out where a run has no log of them (a scenario preview, an ensemble).
    reopenings(derived = false) {
      return withCaptureReopenings(runs[selected].events, derived ? null : runs[selected])
        .filter((e) => e.after_capture !== undefined).map((e) => [e.start, e.corridor]);
    },
    // Whether each road is drawn closed on `day` (the map's dashes), for the tests.
    closedRoads(day) { return closedState(shownEvents(), day).roads; },
    // The map's box changed (haven serve's panel took its side): Leaflet measures it again and fits the network.
    refit() { map.invalidateSize(); map.fitBounds(bounds.pad(0.08)); },
    // Resolves true when the per-place charts are drawn too, false when a newer run took over first.
    // Where the time goes is left in document.body.dataset.showRunMs (ms: analysis, headline, main chart, labels,
    // map).
    showRun(run, network) {
      const at = [performance.now()];
      const mark = () => at.push(performance.now());
      runs[selected] = run;
      analyses[selected] = analyse(run);
      subtitle();
      if (network) {
        network.nodes.forEach((n, i) => Object.assign(nodes[i], n));
        network.corridors.forEach((c, i) => Object.assign(corridors[i], c));
      }
      mark();
      // What is in view first (headline, main chart, map), its charts updated in place; the per-place charts
      // below after that frame is drawn, one at a time when the browser is idle, dropped if a newer run came.
      const generation = ++showGeneration;
      headline();
      mark();
      mainCharts(true);
      mark();
      drawLabels();
      mark();
      showDay(currentDay, true);
      mark();
      document.body.dataset.showRunMs = at.slice(1).map((t, i) => (t - at[i]).toFixed(1)).join(',');
      const idle = window.requestIdleCallback || ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 0));
      return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => {
        if (generation !== showGeneration) { resolve(false); return; }
        const jobs = nodeSection(true);
        jobs.push(() => observationSection(true));
        const step = (deadline) => {
          if (generation !== showGeneration) { resolve(false); return; }
          do { jobs.shift()(); } while (jobs.length && deadline.timeRemaining() > 4);
          if (jobs.length) idle(step, { timeout: 100 }); else resolve(true);
        };
        idle(step, { timeout: 100 });
      }, 0)));
    },
  };
  document.body.dataset.ready = 'true';
})();
