// haven report: the scenario's events in plain words, their colours on the timeline, and which roads and borders
// are closed on a day, as the model reads closures and openings. report.js calls it with the report's data.
'use strict';
window.havenReportEvents = function ({ data, colour, number, nodeName, corridorName }) {
  const nodes = data.nodes;
  const corridors = data.corridors;
  const eventWords = (e) => {
    switch (e.kind) {
      case 'bombardment':
        return e.node >= 0 ? `Bombardment: ${nodeName(e.node)}` : (e.lat !== undefined ? `Bombardment: area (${e.radius_km} km)` : 'Bombardment: everywhere');
      case 'capture': return `${nodeName(e.node)} taken${e.by ? ' by ' + e.by : ''}`;
      case 'corridor_closure': return `Road closed: ${corridorName(e.corridor)}`;
      case 'corridor_opening': return e.after_capture !== undefined
        ? `Road reopened: ${corridorName(e.corridor)} (fighting for ${nodeName(e.after_capture)} over)`
        : `Road opened: ${corridorName(e.corridor)}`;
      case 'border_closure': return `Border closed: ${nodeName(e.node)}`;
      case 'border_opening': return `Border opened: ${nodeName(e.node)}`;
      case 'ceasefire': return e.node >= 0 ? `Ceasefire: ${nodeName(e.node)}` : (e.lat !== undefined ? 'Ceasefire: area' : 'Ceasefire: everywhere');
      case 'capacity_change': return `Shelter at ${nodeName(e.node)}: ${number(e.capacity)} places`;
      case 'evacuation': return `Evacuation: ${nodeName(e.node)} → ${nodeName(e.to)}`;
      // Flee's kinds (a Flee folder, or a scenario imported from one).
      case 'armed_conflict': return `Armed conflict: ${nodeName(e.node)}`;
      case 'camp_closure': return `Camp closed: ${nodeName(e.node)}`;
      case 'country_closure': return `Border closed: ${(e.countries || []).join(' – ')}`;
      case 'redirection_end': return `Redirection ends: ${corridorName(e.corridor)}`;
      default: return e.kind.replace(/_/g, ' ');
    }
  };
  const eventColour = {
    bombardment: colour.vermillion, capture: colour.purple, corridor_closure: colour.black, corridor_opening: colour.green,
    border_closure: colour.grey, border_opening: colour.green, ceasefire: colour.sky, capacity_change: colour.orange,
    evacuation: colour.blue, armed_conflict: colour.vermillion, camp_closure: colour.yellow, country_closure: colour.grey,
    redirection_end: colour.green, evacuation_blocked: '#ffffff',  // hollow, outlined in evacuation's blue (report.js)
  };
  // The timeline's legend, in the words of its rows.
  const eventKindWords = {
    bombardment: 'bombardment', capture: 'taken by force', corridor_closure: 'road closed', corridor_opening: 'road opened',
    border_closure: 'border closed', border_opening: 'border opened', ceasefire: 'ceasefire', capacity_change: 'shelter places changed',
    evacuation: 'evacuation', armed_conflict: 'armed conflict', camp_closure: 'camp closed',
    country_closure: 'border between countries closed', redirection_end: 'forced redirection ended',
    evacuation_blocked: 'evacuation blocked (no open route)',
  };
  const eventEnd = (e) => (e.end === null || e.end === undefined) ? data.days : e.end;
  const activeOn = (e, day) => e.start <= day && day < eventEnd(e);

  // Events started the same day take effect in the scenario's order; a road reopened because a capture ended goes
  // first (the engine ends events before it starts others on a day), so that a closure from that day closes it again.
  const order = (e, i) => (e.after_capture !== undefined ? -1 : i);
  // Closed roads and borders on a day: the state on day 0, then the latest event in force decides.
  function closedState(events, day) {
    const roads = corridors.map((c) => c.closed);
    const borders = nodes.map((n) => n.closed);
    const ordered = events.map((e, i) => [e, i]).sort((a, b) => a[0].start - b[0].start || order(...a) - order(...b));
    for (const [e] of ordered) {
      if (!activeOn(e, day)) continue;
      if (e.kind === 'corridor_closure') roads[e.corridor] = true;
      if (e.kind === 'corridor_opening') roads[e.corridor] = false;
      if (e.kind === 'border_closure') borders[e.node] = true;
      if (e.kind === 'border_opening') borders[e.node] = false;
      // Every road between the two countries (Flee's country closure).
      if (e.kind === 'country_closure' && e.countries) {
        const [a, b] = e.countries;
        corridors.forEach((c, k) => {
          const [x, y] = [nodes[c.from].country, nodes[c.to].country];
          if ((x === a && y === b) || (x === b && y === a)) roads[k] = true;
        });
      }
    }
    return { roads, borders };
  }
  // The events with, for each capture that ends, an opening of every road at its node closed at that moment but
  // those to a place another side holds (the front line): the engine reopens them then (docs/model.md, "capture"),
  // so the map must not draw them closed while people travel them. Each opening is marked `after_capture` (the
  // node); a closure that starts later closes the road again.
  function withCaptureReopenings(events, run) {
    const all = events.slice();
    // A run says which roads the engine reopened (its log): those, exactly. A scenario not yet run (the preview), or
    // an ensemble, has them worked out below as the engine does.
    if (run && run.reopened) {
      const seen = new Set();
      run.reopened.days.forEach((day, k) => {
        const key = `${day}:${run.reopened.roads[k]}`;
        if (seen.has(key)) return;
        seen.add(key);
        all.push({ id: '', kind: 'corridor_opening', corridor: run.reopened.roads[k], start: day, end: null, note: '', after_capture: run.reopened.nodes[k] });
      });
      return all;
    }
    // Who holds a node on `day`, before that day's captures start: its own control, or the latest capture's side.
    const controlBefore = (node, day) => {
      let held = nodes[node].control || '';
      let latest = null;
      events.forEach((e, i) => {
        if (e.kind !== 'capture' || e.node !== node || !(e.start < day)) return;
        if (latest === null || e.start > latest[0] || (e.start === latest[0] && i > latest[1])) latest = [e.start, i, e.by || ''];
      });
      if (latest) held = latest[2];
      return held;
    };
    const ends = events.map((e, i) => [e, i])
      .filter(([e]) => e.kind === 'capture' && e.end !== null && e.end !== undefined && e.end < data.days)
      .sort((a, b) => a[0].end - b[0].end || a[1] - b[1]);
    for (const [capture] of ends) {
      const day = capture.end;
      // Another capture of the node in force that day (begun before, or beginning then: retaken) means the fighting
      // for it goes on, and its roads stay as they are.
      const goesOn = events.some((e) => e !== capture && e.kind === 'capture' && e.node === capture.node
        && e.start <= day && (e.end === null || e.end === undefined || e.end > day));
      if (goesOn) continue;
      // The roads as they stand once the day's ends are done, before its starts: what was in force the day before
      // and still is.
      const before = all.filter((e) => e.start < day && activeOn(e, day));
      const { roads } = closedState(before, day);
      const own = controlBefore(capture.node, day);
      corridors.forEach((c, k) => {
        const theirs = controlBefore(c.from === capture.node ? c.to : c.from, day);
        const frontLine = own !== '' && theirs !== '' && own !== theirs;
        const already = all.some((e) => e.after_capture !== undefined && e.corridor === k && e.start === day);
        if ((c.from === capture.node || c.to === capture.node) && roads[k] && !frontLine && !already) {
          all.push({ id: '', kind: 'corridor_opening', corridor: k, start: day, end: null, note: '', after_capture: capture.node });
        }
      });
    }
    return all;
  }

  // The spans of days [from, to) in which event `e` (the i-th of `events`) decides: all its days, but for a closure or opening of
  // a road or border the days an opposite one of the same road or border that started later is in force.
  const opposite = { corridor_closure: 'corridor_opening', corridor_opening: 'corridor_closure', border_closure: 'border_opening', border_opening: 'border_closure' };
  function daysInForce(events, e, i) {
    const end = eventEnd(e);
    const target = e.kind.startsWith('corridor_') ? 'corridor' : 'node';
    const overriding = opposite[e.kind] ? events.filter((o, j) => o.kind === opposite[e.kind] && o[target] === e[target] &&
      (o.start > e.start || (o.start === e.start && order(o, j) > order(e, i)))) : [];
    if (!overriding.length) return [[e.start, end]];
    const spans = [];
    let from = null;
    for (let day = e.start; day <= end; ++day) {
      const decides = day < end && !overriding.some((o) => activeOn(o, day));
      if (decides && from === null) from = day;
      if (!decides && from !== null) { spans.push([from, day]); from = null; }
    }
    return spans;
  }
  const capturedBy = (events, day) => events.filter((e) => e.kind === 'capture' && e.start <= day);

  return { eventWords, eventColour, eventKindWords, eventEnd, activeOn, closedState, daysInForce, capturedBy, withCaptureReopenings };
};
