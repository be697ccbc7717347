// haven serve: the panel's "Add an event" form, of the kinds the scenario's rules act on, with a point picked on the
// map. Loaded before serve.js, which calls window.havenServeParts.addForm with what the panel shares.
(function () {
  'use strict';
  window.havenServeParts = window.havenServeParts || {};
  // `info` gives the session as the page last heard it; `clickTaken(e)` says whether a click on the map was the
  // panel's own (a handle just dropped, an event being moved), which the form then leaves alone.
  window.havenServeParts.addForm = ({ el, words, report, addBox, keep, period, nodeSelect, edit, refuse, info, clickTaken }) => {
    return function fillAdd() {
        keep(addBox);
        // The kinds this form can add, of those the scenario's rules act on (info().event_kinds: under Flee's, a
        // bombardment or a ceasefire would change nothing). Under Haven's rules an armed conflict or a camp closure is
        // written in the file; the form keeps to the planner's what-ifs. A border needs a crossing.
        const crossings = info().nodes.some((n) => n.kind === 'border_crossing');
        const addable = info().rules === 'flee'
          ? ['armed_conflict', 'corridor_closure', 'camp_closure', 'border_opening', 'border_closure']
          : ['bombardment', 'corridor_closure', 'border_opening', 'border_closure', 'ceasefire', 'evacuation', 'capacity_change'];
        const kinds = addable.filter((k) => info().event_kinds.includes(k) && (crossings || !k.startsWith('border_')));
        const kind = el('select', { id: 'serve-add-kind' }, ...kinds.map((k) => el('option', { value: k }, words(k))));
        const fields = el('div', { class: 'serve-add-fields' });
        const start = info().start_date;
        const inputs = {};
        // A new event starts on the day the map shows until the planner gives its date: a bombardment clicked on the
        // map while it shows 9 Feb is meant for then, not for the scenario's first day.
        const isoDay = (day) => { const d = new Date(`${start}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + day); return d.toISOString().slice(0, 10); };
        const slider = document.getElementById('day');
        let shownDay = slider ? Number(slider.value) || 0 : 0;
        document.addEventListener('haven-day', (e) => {
          shownDay = e.detail;
          if (inputs.date && !inputs.date.dataset.given) inputs.date.value = isoDay(shownDay);
        });
        const field = (key, input, label) => { inputs[key] = input; fields.append(el('label', {}, `${label} `, input)); };
        const redraw = () => {
          // Another kind keeps a date the planner gave.
          const given = inputs.date && inputs.date.dataset.given ? inputs.date.value : '';
          fields.replaceChildren();
          for (const k of Object.keys(inputs)) delete inputs[k];
          const k = kind.value;
          field('date', el('input', { type: 'date', value: given || isoDay(shownDay), ...period() }), 'from');
          if (given) inputs.date.dataset.given = '1';
          inputs.date.addEventListener('input', () => { inputs.date.dataset.given = '1'; });
          field('until', el('input', { type: 'date', ...period(), title: 'the last day it is in force' }), 'until (last day)');
          if (k === 'bombardment' || k === 'ceasefire') {
            field('node', el('select', { id: 'serve-add-place' }, el('option', { value: '' }, '(a point on the map)'), ...info().nodes.map((n) => el('option', { value: n.id }, n.name))), 'place');
            field('lat', el('input', { type: 'number', step: 'any', class: 'coordinate', id: 'serve-add-lat' }), 'lat');
            field('lon', el('input', { type: 'number', step: 'any', class: 'coordinate', id: 'serve-add-lon' }), 'lon');
            // A ceasefire with no place, point or radius holds everywhere.
            field('radius_km', el('input', { type: 'number', min: 0, step: 'any', value: k === 'bombardment' ? 5 : '', class: 'short' }), 'radius km');
            if (k === 'bombardment') field('intensity', el('input', { type: 'number', min: 0, step: 'any', value: 20, class: 'short' }), 'strikes/day');
            inputs.radius_km.addEventListener('input', () => { delete inputs.radius_km.dataset.fromPoint; });  // typed: the planner's
            // A place chosen after a point was picked: the place it is (a file gives one or the other).
            inputs.node.addEventListener('change', () => {
              if (!inputs.node.value) return;
              inputs.lat.value = ''; inputs.lon.value = ''; picked.clearLayers();
              // ... and the radius the point brought: a ceasefire at a place without one holds there, not 5 km round it.
              if (inputs.radius_km.dataset.fromPoint) { inputs.radius_km.value = ''; delete inputs.radius_km.dataset.fromPoint; }
            });
          } else if (k === 'armed_conflict') {
            field('node', nodeSelect(), 'place');
            field('intensity', el('input', { type: 'number', min: 0, step: 'any', value: 1, class: 'short', title: "Flee's conflict intensity, usually 0 to 1" }), 'intensity');
          } else if (k === 'camp_closure') {
            const camps = info().nodes.filter((n) => n.kind === 'camp');
            field('node', el('select', {}, ...(camps.length ? camps : info().nodes).map((n) => el('option', { value: n.id }, n.name))), 'camp');
          } else if (k === 'corridor_closure') {
            field('corridor', el('select', {}, ...info().corridors.map((c) => el('option', { value: c.id }, `${c.from} – ${c.to}`))), 'road');
          } else if (k === 'evacuation') {
            field('from', nodeSelect(), 'from place');
            field('to', nodeSelect(), 'to place');
            if (info().nodes.length > 1) inputs.to.value = info().nodes[1].id;  // not where they come from
            field('rate', el('input', { type: 'number', min: 0, step: 'any', value: 1000, class: 'short' }), 'people/day');
          } else if (k === 'capacity_change') {
            field('node', nodeSelect(), 'place');
            field('capacity', el('input', { type: 'number', min: 0, step: 'any', class: 'short' }), 'people');
            // From the place's shelter capacity now, given or by default (50,000 where it has no limit): a change, not a guess.
            const fromPlace = () => {
              const place = info().nodes.find((n) => n.id === inputs.node.value);
              const now = place ? place.capacity_now : null;
              inputs.capacity.value = typeof now === 'number' && Number.isFinite(now) ? now : 50000;
            };
            inputs.node.addEventListener('change', fromPlace);
            fromPlace();
          } else {
            const borders = info().nodes.filter((n) => n.kind === 'border_crossing');
            field('node', el('select', {}, ...(borders.length ? borders : info().nodes).map((n) => el('option', { value: n.id }, n.name))), 'crossing');
          }
        };
        // Where a click on the map put the new event's point, until it is added or the form moves on.
        const picked = L.layerGroup().addTo(report.map);
        kind.addEventListener('change', () => { picked.clearLayers(); redraw(); });
        redraw();
        const add = el('button', { type: 'button', id: 'serve-add-button' }, 'Add');
        add.addEventListener('click', () => {
          // One add at a time: a double click (or a second press before the answer) would add the same event twice.
          if (add.disabled) return;
          // A number field holding text ("abc", which the browser gives as '') is refused at that field, in the event
          // rows' words: sent without it, the server would name a key missing that the planner filled in.
          // So is one the kind needs (a bombardment's strikes, an evacuation's rate, a capacity) left empty.
          const needed = ['intensity', 'rate', 'capacity'];
          const unreadable = Object.entries(inputs).find(([key, input]) => input.type === 'number' &&
            ((input.validity && input.validity.badInput) || (needed.includes(key) && String(input.value).trim() === '')));
          if (unreadable) {
            const [key] = unreadable;
            const spoken = {
              intensity: kind.value === 'bombardment' ? 'strikes per day' : 'intensity', rate: 'people per day',
              capacity: 'capacity in people', radius_km: 'radius in km', lat: 'latitude', lon: 'longitude',
            }[key] || words(key);
            refuse(unreadable[1], `give the ${spoken} as a number`);
            return;
          }
          add.disabled = true;
          const event = { kind: kind.value };
          for (const [key, input] of Object.entries(inputs)) {
            if (input.value === '' || input.value === undefined) continue;
            event[key] = input.type === 'number' ? Number(input.value) : input.value;
          }
          // Added: the point is used up, so that a second click on Add does not add the same event again.
          edit({ kind: 'add_event', event }, add, () => {
            if (inputs.lat) { inputs.lat.value = ''; inputs.lon.value = ''; }
            // The next event follows the map's day again until its own date is given.
            delete inputs.date.dataset.given;
            inputs.date.value = isoDay(shownDay);
            // The radius the point brought goes with it: the next event without a point holds everywhere (a ceasefire).
            if (inputs.radius_km && inputs.radius_km.dataset.fromPoint) { inputs.radius_km.value = ''; delete inputs.radius_km.dataset.fromPoint; }
            picked.clearLayers();
          }, () => { add.disabled = false; });
        });
        addBox.append(el('p', { class: 'note' }, info().rules === 'flee' ? "Flee's rules act on these kinds of event." : 'Click the map to place a bombardment or ceasefire.'), el('label', {}, 'Kind ', kind), fields, add);
        // A click on the map gives the point.
        report.map.on('click', (e) => {
          if (clickTaken(e)) return;
          if (!inputs.lat) return;
          inputs.lat.value = e.latlng.lat.toFixed(4);
          inputs.lon.value = e.latlng.lng.toFixed(4);
          // A point needs a radius (only a ceasefire without one holds everywhere).
          if (inputs.radius_km && inputs.radius_km.value === '') { inputs.radius_km.value = 5; inputs.radius_km.dataset.fromPoint = '1'; }
          if (inputs.node) inputs.node.value = '';
          picked.clearLayers();
          L.circleMarker(e.latlng, { radius: 7, weight: 2, color: '#000', fillColor: '#fff', fillOpacity: 0.9, className: 'serve-picked' })
            .bindTooltip('the new event\'s point').addTo(picked);
          addBox.open = true;
        });
    };
  };
})();
