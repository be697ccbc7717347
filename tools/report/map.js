// haven report: the map. Country outlines near the network (world-atlas, inlined: no tiles), the roads and places
// of a day restyled in place, the event areas, the names of the places that matter most, and the legend. report.js
// calls it once with what it needs; `runs` and `analyses` are report.js's (haven serve replaces their entries), and
// `selected()` says which run is shown.
'use strict';
window.havenReportMap = function ({
  data, world, nodes, corridors, runs, analyses, selected, colour, number, html, text, kindWords, shownEvents,
  closedState, activeOn, capturedBy,
}) {
  const map = L.map('map', { attributionControl: false, zoomSnap: 0.25, preferCanvas: false });
  const lats = nodes.map((n) => n.lat);
  const lons = nodes.map((n) => n.lon);
  const bounds = L.latLngBounds([Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]);
  const near = bounds.pad(2);
  // Country outlines (Natural Earth via world-atlas), only those near the network: a blank map, no tiles.
  const countries = topojson.feature(world, world.objects.countries);
  const nearby = countries.features.filter((f) => {
    let hit = false;
    const visit = (c) => {
      if (hit) return;
      if (typeof c[0] === 'number') { if (near.contains([c[1], c[0]])) hit = true; return; }
      c.forEach(visit);
    };
    if (f.geometry) visit(f.geometry.coordinates);
    return hit;
  });
  L.geoJSON({ type: 'FeatureCollection', features: nearby }, {
    interactive: false,
    style: { color: '#8a8a8a', weight: 1.2, fillColor: '#fbfbf6', fillOpacity: 1 },
    onEachFeature: (f, layer) => {
      if (f.properties && f.properties.name) {
        layer.bindTooltip(html(f.properties.name), { permanent: false });
      }
    },
  }).addTo(map);
  map.fitBounds(bounds.pad(0.08));
  // The event areas (a few) are drawn afresh each day; the roads and places, one layer each, are made once and
  // restyled: rebuilding the ~120 layers with their tooltips was most of a redraw (each day of the slider, each
  // new run in haven serve).
  const dynamic = L.layerGroup().addTo(map);
  const roadLines = [];
  const placeMarkers = [];
  const setTip = (layer, text) => {
    if (layer.havenTip === text) return;
    layer.havenTip = text;
    layer.setTooltipContent(text);
  };
  // Places keep their position in haven serve, but showRun may hand over a network: a moved one is followed.
  const isAt = (latLng, node) => latLng.lat === node.lat && latLng.lng === node.lon;

  function drawMap(day) {
    dynamic.clearLayers();
    const events = shownEvents();
    const closed = closedState(events, day);
    const run = data.preview ? null : runs[selected()];
    const a = data.preview ? null : analyses[selected()];
    // The recorded day at or after `day`; past the last one (never, for a whole run), the last one, not day 0.
    const at = a ? a.days.findIndex((d) => d >= day) : 0;
    const t = at < 0 ? a.days.length - 1 : at;
    // Shaded areas, put in under the roads and places at the end.
    const areas = [];
    for (const e of events) {
      if (!activeOn(e, day)) continue;
      if (e.kind !== 'bombardment' && e.kind !== 'ceasefire') continue;
      const at = e.node >= 0 ? [nodes[e.node].lat, nodes[e.node].lon] : (e.lat !== undefined ? [e.lat, e.lon] : null);
      if (!at) continue;
      const radius = Math.max(e.radius_km || 0, 6) * 1000;
      areas.push(L.circle(at, {
        radius, stroke: e.kind === 'ceasefire', color: colour.sky, dashArray: '4 4', weight: 2,
        fillColor: e.kind === 'bombardment' ? colour.vermillion : colour.sky, fillOpacity: e.kind === 'bombardment' ? 0.28 : 0.12,
        interactive: false, className: `area-${e.kind}`,
      }));
    }
    // Flee's conflict zones and closed camps, where those rules run: a place, not an area, so drawn a size on screen
    // (a Flee conflict spans a country, where kilometres would not show).
    for (const e of events) {
      if ((e.kind !== 'armed_conflict' && e.kind !== 'camp_closure') || !activeOn(e, day) || !(e.node >= 0)) continue;
      const conflict = e.kind === 'armed_conflict';
      areas.push(L.circleMarker([nodes[e.node].lat, nodes[e.node].lon], {
        radius: conflict ? 16 : 11, color: conflict ? colour.vermillion : colour.black, weight: conflict ? 1 : 2.5,
        dashArray: conflict ? null : '3 3', fillColor: colour.vermillion, fillOpacity: conflict ? 0.22 : 0,
        interactive: false, className: `area-${e.kind}`,
      }));
    }
    for (const e of capturedBy(events, day)) {
      areas.push(L.circle([nodes[e.node].lat, nodes[e.node].lon], {
        radius: 8000, color: colour.purple, weight: 2, dashArray: '2 3', fillColor: colour.purple, fillOpacity: 0.15,
        interactive: false, className: 'area-capture',
      }));
    }
    // Roads: width by the people who set off on them that day.
    let maxFlow = 1;
    if (run) for (const row of run.corridor_inflow) for (const v of row) if (v > maxFlow) maxFlow = v;
    corridors.forEach((c, k) => {
      const from = nodes[c.from];
      const to = nodes[c.to];
      const flow = run ? run.corridor_inflow[t][k] : 0;
      const isClosed = closed.roads[k];
      if (!roadLines[k]) {
        roadLines[k] = L.polyline([[from.lat, from.lon], [to.lat, to.lon]]).bindTooltip('', { sticky: true }).addTo(map);
      }
      const line = roadLines[k];
      const ends = line.getLatLngs();
      if (!isAt(ends[0], from) || !isAt(ends[1], to)) line.setLatLngs([[from.lat, from.lon], [to.lat, to.lon]]);
      line.setStyle(isClosed
        ? { color: colour.vermillion, weight: 2.5, dashArray: '6 5', opacity: 0.9 }
        : { color: flow > 0 ? colour.blue : '#9a9a9a', weight: 1 + 12 * Math.sqrt(flow / maxFlow), dashArray: null, opacity: flow > 0 ? 0.75 : 0.6 });
      setTip(line, html(`${from.name} – ${to.name}: ${isClosed ? 'closed' : number(flow) + ' people set off on this road'}`));
    });
    // Places: area by displaced people present.
    let maxPresent = 1;
    if (run) {
      for (const row of run.displaced_present) for (const v of row) maxPresent = Math.max(maxPresent, v);
    } else {
      for (const n of nodes) maxPresent = Math.max(maxPresent, n.residents + n.displaced);
    }
    nodes.forEach((n, i) => {
      const col = a ? a.column.get(i) : undefined;
      const present = run ? (col === undefined ? 0 : run.displaced_present[t][col]) : n.residents + n.displaced;
      const unsheltered = run && col !== undefined ? run.unsheltered[t][col] : 0;
      const isBorder = n.kind === 'border_crossing';
      const fill = n.kind === 'camp' ? colour.orange : isBorder ? (closed.borders[i] ? colour.vermillion : colour.green)
        : n.kind === 'external' ? colour.purple : n.kind === 'transit' ? colour.grey : colour.blue;
      if (!placeMarkers[i]) placeMarkers[i] = L.circleMarker([n.lat, n.lon]).bindTooltip('').addTo(map);
      const marker = placeMarkers[i];
      if (!isAt(marker.getLatLng(), n)) marker.setLatLng([n.lat, n.lon]);
      marker.setRadius((isBorder ? 6 : 3) + 22 * Math.sqrt(present / maxPresent));
      marker.setStyle({
        color: unsheltered > 0 ? colour.vermillion : (isBorder ? colour.black : '#ffffff'),
        weight: unsheltered > 0 || isBorder ? 2.5 : 1, fillColor: fill, fillOpacity: 0.8,
      });
      const lines = [`<b>${html(n.name)}</b> (${kindWords[n.kind]}${isBorder && closed.borders[i] ? ', closed' : ''})`,
        run ? `${number(present)} displaced people present` : `${number(n.residents)} residents, ${number(n.displaced)} displaced`];
      if (unsheltered > 0) lines.push(`${number(unsheltered)} without shelter`);
      setTip(marker, lines.join('<br>'));
    });
    // Over the base map, under the roads and places, in the order made.
    const first = (roadLines[0] || placeMarkers[0]).getElement();
    for (const area of areas) {
      area.addTo(dynamic);
      const path = area.getElement();
      if (first && path && path.parentNode === first.parentNode) first.parentNode.insertBefore(path, first);
    }
  }
  // Names of the places that matter most, always shown.
  const labelLayer = L.layerGroup().addTo(map);
  let labelledPlaces = '';
  function drawLabels() {
    let ranked;
    if (data.preview) {
      ranked = nodes.map((n, i) => [i, n.residents + n.displaced]);
    } else {
      const run = runs[selected()];
      ranked = run.node_index.map((node, col) => [node, Math.max(...run.displaced_present.map((r) => r[col]))]);
    }
    ranked.sort((x, y) => y[1] - x[1]);
    // A new run (haven serve) usually names the same ten places in the same order: their labels stay as they are.
    const top = ranked.slice(0, 10);
    // A label stands for a place, its name and where it is (showRun may hand over a network).
    const labelKey = (i) => `${i} ${nodes[i].lat} ${nodes[i].lon} ${nodes[i].name}`;
    const places = top.map(([i]) => labelKey(i)).join('\n');
    if (places === labelledPlaces) return;
    labelledPlaces = places;
    // The same ten labels in another order: they stay, ranked anew (which one yields where two overlap).
    const byKey = new Map(labelsByRank.map((label) => [label.key, label]));
    if (top.length === byKey.size && top.every(([i]) => byKey.has(labelKey(i)))) {
      labelsByRank = top.map(([i]) => byKey.get(labelKey(i)));
      declutterLabels();
      return;
    }
    labelLayer.clearLayers();
    labelBoxes.clear();
    labelsByRank = top.map(([i]) => {
      const tooltip = L.tooltip({ permanent: true, direction: 'right', className: 'node-label', offset: [6, 0], interactive: false })
        .setLatLng([nodes[i].lat, nodes[i].lon]).setContent(html(nodes[i].name));
      labelLayer.addLayer(tooltip);
      return { node: i, key: labelKey(i), tooltip };
    });
    declutterLabels();
  }
  // A label that would cover a more important place's is left out: around Idlib's camps ten names fall on a few
  // pixels. Zooming in parts them, and they come back.
  let labelsByRank = [];
  // Each label's box in the map's pane (scrolling and panning move both alike), measured once while the zoom
  // stays: measuring makes the browser lay the page out, which a new run's re-ranking need not wait for.
  const labelBoxes = new Map();
  function declutterLabels() {
    const shown = [];
    let pane = null;
    for (const { node, tooltip } of labelsByRank) {
      const el = tooltip.getElement();
      if (!el) continue;
      if (!labelBoxes.has(node)) {
        pane = pane || map.getPane('mapPane').getBoundingClientRect();
        const b = el.getBoundingClientRect();
        labelBoxes.set(node, { left: b.left - pane.left, right: b.right - pane.left, top: b.top - pane.top, bottom: b.bottom - pane.top });
      }
      const r = labelBoxes.get(node);
      const covers = shown.some((s) => r.left < s.right && r.right > s.left && r.top < s.bottom && r.bottom > s.top);
      el.style.visibility = covers ? 'hidden' : '';
      if (!covers) shown.push(r);
    }
  }
  // Measured again after a zoom (a box measured while it animated would be wrong) and a resize.
  map.on('resize', () => labelBoxes.clear());
  map.on('zoomend', () => { labelBoxes.clear(); declutterLabels(); });

  // ---- legend ----
  const legend = document.getElementById('legend');
  const legendItem = (col, label, style) => {
    const s = text('span');
    const key = text('span', undefined, 'key');
    key.style.cssText = style || `background:${col}`;
    s.append(key, document.createTextNode(label));
    legend.append(s);
  };
  legendItem(colour.blue, 'town or city');
  legendItem(colour.orange, 'camp');
  legendItem(colour.green, 'border crossing, open');
  legendItem(colour.vermillion, 'border crossing, closed');
  if (!data.preview) legendItem(null, 'circle ringed red: people without shelter', `border:2px solid ${colour.vermillion};border-radius:50%;width:12px;height:12px`);
  legendItem(null, data.preview ? 'circle area: people living there' : 'circle area: displaced people present', `border:1px solid ${colour.grey};border-radius:50%;width:12px;height:12px`);
  legendItem(null, data.preview ? 'road' : 'road: width = people setting off that day', `background:${colour.blue};height:4px`);
  legendItem(null, 'road closed', `border-top:3px dashed ${colour.vermillion};height:0`);
  // A Flee conflict's own kinds of event, or Haven's (which a page of Haven's rules may add).
  const fleeKinds = ['armed_conflict', 'camp_closure', 'country_closure', 'redirection_end'];
  if ((data.preview ? data.preview.events : runs[0].events).some((e) => fleeKinds.includes(e.kind))) {
    legendItem(null, 'armed conflict', `background:${colour.vermillion};opacity:0.35;border-radius:50%;width:12px;height:12px`);
    legendItem(null, 'camp closed', `border:2px dashed ${colour.black};border-radius:50%;width:10px;height:10px`);
  } else {
    legendItem(null, 'bombarded area', `background:${colour.vermillion};opacity:0.35`);
    legendItem(null, 'taken by force', `background:${colour.purple};opacity:0.35`);
    legendItem(null, 'ceasefire area', `border:2px dashed ${colour.sky}`);
  }

  return { map, bounds, drawMap, drawLabels };
};
