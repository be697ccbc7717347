// haven report: the headline series of a run (people away, newly away, unsheltered, at border crossings, returns,
// left home), their peaks, an ensemble's median and 5–95% bands, and where people found refuge. report.js calls it
// with the report's places; nothing here draws.
'use strict';
window.havenReportSeries = function ({ nodes, corridorCount = 0 }) {
  const sum = (row) => row.reduce((a, b) => a + (b || 0), 0);
  const initialDisplaced = nodes.reduce((a, n) => a + n.displaced, 0);
  const initialResidents = nodes.reduce((a, n) => a + n.residents, 0);

  // Quantiles of the "type 7" kind (numpy's default, and haven validate's), so the page's 5–95% are the tools'.
  const quantile = (values, q) => {
    const sorted = values.filter((v) => v !== null && v !== undefined && isFinite(v)).sort((x, y) => x - y);
    if (sorted.length === 0) return null;
    const position = q * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(below + 1, sorted.length - 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
  };
  const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
  // The first day within `tolerance` of the most: an expected-mode file holds each place's and road's figure rounded
  // to whole people, and a plateau's total wobbles by a few people from day to day. Its highest wobble is no peak:
  // it moved Idlib's peak a week later, to a day with 20% fewer people without shelter.
  const peakOf = (xs, tolerance) => {
    if (!(tolerance > 0)) return argmax(xs);
    const most = xs[argmax(xs)];
    return xs.findIndex((x) => x >= most - tolerance);
  };
  // What the network totals of `run` may be off by: half a person a rounded term (its places' displaced and
  // waiting, its roads' travellers) in expected mode; nothing in stochastic mode, where people are whole.
  const roundingOf = (run) => (run.mode === 'expected' ? 0.5 * (2 * run.node_index.length + corridorCount) : 0);

  // The headline series of one run, from the network-wide totals `haven report` writes (one definition, in
  // sim/report/report.cpp, for run files and ensemble members alike).
  // `displacedBefore`: the people the run's own scenario (its variant, its edits) has displaced before day 0.
  function seriesOfTotals(totals, displacedBefore) {
    let returned = 0;
    return {
      away: totals.away,
      newlyAway: totals.away.map((v) => Math.max(0, v - displacedBefore)),
      unsheltered: totals.unsheltered,
      atBorder: totals.at_border,
      returnsCum: totals.returns.map((v) => (returned += v)),
      cumulative: totals.cumulative_displaced,
    };
  }
  // The same totals from the per-place tables, for data that does not carry them (haven serve's runs): the
  // definition of run_totals in sim/report/report.cpp.
  function totalsOfTables(run, borderCols) {
    const rows = run.time.map((_, t) => t);
    return {
      away: rows.map((t) => sum(run.displaced_present[t]) + sum(run.in_transit[t]) + sum(run.waiting[t])),
      unsheltered: rows.map((t) => sum(run.unsheltered[t])),
      at_border: rows.map((t) => borderCols.reduce((acc, c) => acc + run.displaced_present[t][c] + run.waiting[t][c], 0)),
      returns: rows.map((t) => sum(run.returns[t])),
      cumulative_displaced: run.cumulative_displaced,
    };
  }
  function withPeaks(series, days, tolerance = 0) {
    const end = days.length - 1;
    return Object.assign(series, {
      T: days.length, days, end, peak: peakOf(series.newlyAway, tolerance),
      peakUnsheltered: peakOf(series.unsheltered, tolerance), peakBorder: peakOf(series.atBorder, tolerance),
      leftHome: series.cumulative[end], returned: series.returnsCum[end],
    });
  }
  const bandKeys = ['newlyAway', 'unsheltered', 'atBorder', 'returnsCum', 'cumulative'];

  function analyse(run) {
    // Files written before the total was carried: the first run's scenario's (the page's places).
    const displacedBefore = typeof run.displaced_before_total === 'number' ? run.displaced_before_total : initialDisplaced;
    const column = new Map(run.node_index.map((node, col) => [node, col]));
    const borderCols = run.node_index.map((node, col) => [node, col]).filter(([node]) => nodes[node].kind === 'border_crossing').map(([, col]) => col);
    let a;
    if (run.member_totals) {
      // An ensemble: every member analysed alone; the lines are each day's median over the members and the bands
      // their 5th to 95th percentiles. Figures (leftHome, peaks) are medians of the members' own figures.
      const members = run.member_totals.map((totals) => withPeaks(seriesOfTotals(totals, displacedBefore), run.time,
        roundingOf(run)));
      const perDay = (key, q) => run.time.map((_, t) => quantile(members.map((m) => m[key][t]), q));
      const median = {};
      const band = {};
      for (const key of bandKeys) {
        median[key] = perDay(key, 0.5);
        band[key] = { p05: perDay(key, 0.05), p95: perDay(key, 0.95) };
      }
      a = withPeaks(median, run.time, roundingOf(run));
      a.members = members;
      a.band = band;
    } else {
      a = withPeaks(seriesOfTotals(run.totals || totalsOfTables(run, borderCols), displacedBefore), run.time,
        roundingOf(run));
    }
    const end = a.end;
    const placesAt = (t, series) => run.node_index.map((node, col) => [node, series[t][col]])
      .filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
    // Gains since the start: over the people the run's own scenario (its variant, its edits) places there before
    // day 0 (the end of day 0 already holds that day's arrivals).
    const before = (node, col) => (run.displaced_before ? run.displaced_before[col] : (nodes[node].displaced || 0));
    const gains = run.node_index.map((node, col) => [node, run.displaced_present[end][col] - before(node, col)])
      .filter(([node, v]) => v > 0 && nodes[node].kind !== 'border_crossing').sort((x, y) => y[1] - x[1]);
    return Object.assign(a, { displacedBefore, column, borderCols, unshelteredPlacesAtPeak: placesAt(a.peak, run.unsheltered), gains });
  }

  return { sum, quantile, argmax, bandKeys, initialDisplaced, initialResidents, seriesOfTotals, totalsOfTables, withPeaks, analyse };
};
