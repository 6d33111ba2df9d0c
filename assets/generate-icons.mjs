// Draws every icon the app ships (tray icons for each state and platform, the app icon as
// png/ico/icns) from one glyph, with node's zlib only; deterministic, so the committed files
// can be checked against it. Never hand-edit the PNGs: change this file and run
//   node assets/generate-icons.mjs [output-dir]      (default: assets/)
//
// Tray names: tray-<on|off|error><variant>[@2x].png, 16 px (32 px @2x).
//   Template: macOS, black on alpha; the menu bar tints it (the name must end in Template).
//   Dark:     a light glyph for dark panels (Linux, Windows dark theme).
//   Light:    a dark glyph for light panels (Windows light theme).
// States: on (redirecting), off (paused: faded glyph), error (badge with "!").
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

// ---- PNG encoding ---------------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** RGBA pixels (Uint8ClampedArray, size*size*4) to a PNG file. */
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(rows, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- Drawing: shapes in a 16x16 design grid, 4x4 supersampled -------------------------------

const roundedRect = (x0, y0, x1, y1, r) => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const union = (...shapes) => (x, y) => shapes.some((s) => s(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);

/** A rhombus: the top face of an image layer seen from above at an angle. */
const rhombus = (cx, cy, w, h) => (x, y) => Math.abs(x - cx) / w + Math.abs(y - cy) / h <= 1;
const face = (cy) => rhombus(8, cy, 6.6, 3.2);

/** The glyph: a stack of image layers (a top face and the edges of two layers below it). */
const layers = union(
  face(5.0),
  minus(face(8.2), face(6.6)),
  minus(face(11.4), face(9.8)),
);
const badge = circle(12.5, 12.5, 3.5);
const badgeClearance = circle(12.5, 12.5, 4.6);
const bang = union(roundedRect(11.9, 10.0, 13.1, 13.2, 0.5), circle(12.5, 14.6, 0.65));

/** Paints layers of [shape, [r, g, b, a]] over a transparent square of `size` pixels. */
function paint(size, layersToPaint, designSize = 16) {
  const out = new Uint8ClampedArray(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const [shape, [cr, cg, cb, ca]] of layersToPaint) {
        let hits = 0;
        for (let sy = 0; sy < n; sy++) {
          for (let sx = 0; sx < n; sx++) {
            const x = ((px + (sx + 0.5) / n) / size) * designSize;
            const y = ((py + (sy + 0.5) / n) / size) * designSize;
            if (shape(x, y)) hits++;
          }
        }
        const sa = (hits / (n * n)) * ca;
        if (sa === 0) continue;
        const na = sa + a * (1 - sa);
        r = (cr * sa + r * a * (1 - sa)) / na;
        g = (cg * sa + g * a * (1 - sa)) / na;
        b = (cb * sa + b * a * (1 - sa)) / na;
        a = na;
      }
      out.set([Math.round(r), Math.round(g), Math.round(b), Math.round(a * 255)], (py * size + px) * 4);
    }
  }
  return out;
}

const RED = [229, 72, 77, 1];
const WHITE = [255, 255, 255, 1];

/** The tray glyph for a state in one colour; `template` draws the error badge as a cut-out. */
function trayLayers(state, [r, g, b], template) {
  switch (state) {
    case 'on':
      return [[layers, [r, g, b, 1]]];
    case 'off':
      return [[layers, [r, g, b, 0.42]]];
    case 'error':
      return template
        ? [[minus(union(minus(layers, badgeClearance), badge), bang), [r, g, b, 1]]]
        : [[minus(layers, badgeClearance), [r, g, b, 1]], [badge, RED], [bang, WHITE]];
    default:
      throw new Error(`unknown tray state ${state}`);
  }
}

// ---- Containers: ICO and ICNS hold PNGs ------------------------------------------------------

function encodeIco(pngs) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(pngs.length, 4);
  let offset = 6 + 16 * pngs.length;
  const entries = pngs.map(({ size, png }) => {
    const e = Buffer.alloc(16);
    e[0] = size >= 256 ? 0 : size;
    e[1] = size >= 256 ? 0 : size;
    e.writeUInt16LE(1, 4); // planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    return e;
  });
  return Buffer.concat([header, ...entries, ...pngs.map((p) => p.png)]);
}

function encodeIcns(entries) {
  const parts = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

// ---- The app icon: white glyph on a blue rounded square --------------------------------------

function appIcon(size) {
  const tile = roundedRect(0.8, 0.8, 15.2, 15.2, 3.4);
  const glyph = (x, y) => layers((x - 8) / 0.68 + 8, (y - 8) / 0.68 + 8);
  return encodePng(size, paint(size, [[tile, [29, 99, 237, 1]], [glyph, WHITE]]));
}

// ---- Output ------------------------------------------------------------------------------------

export function generateIcons(outDir) {
  const files = {};
  const variants = { Template: [0, 0, 0], Dark: [255, 255, 255], Light: [31, 35, 40] };
  for (const state of ['on', 'off', 'error']) {
    for (const [variant, colour] of Object.entries(variants)) {
      const drawn = trayLayers(state, colour, variant === 'Template');
      files[`tray/tray-${state}${variant}.png`] = encodePng(16, paint(16, drawn));
      files[`tray/tray-${state}${variant}@2x.png`] = encodePng(32, paint(32, drawn));
    }
  }
  const png = Object.fromEntries([16, 24, 32, 48, 64, 128, 256, 512, 1024].map((s) => [s, appIcon(s)]));
  files['icon.png'] = png[512];
  files['icon.ico'] = encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: png[size] })));
  files['icon.icns'] = encodeIcns([
    ['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512],
    ['ic10', 1024], ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512],
  ].map(([type, size]) => ({ type, png: png[size] })));

  for (const [name, data] of Object.entries(files)) {
    mkdirSync(dirname(join(outDir, name)), { recursive: true });
    writeFileSync(join(outDir, name), data);
  }
  return Object.keys(files);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? dirname(fileURLToPath(import.meta.url));
  for (const name of generateIcons(outDir)) console.log(join(outDir, name));
}
