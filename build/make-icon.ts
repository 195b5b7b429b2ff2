/**
 * Draws build/icon.png (512x512, RGBA): a sealed envelope on a rounded blue
 * square. Plain Node (zlib for the PNG), so the icon can be made again on
 * any machine:   node build/make-icon.ts [OUT.png]
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4; // per axis: 16 samples a pixel for smooth edges

type Rgba = [number, number, number, number];

function roundedRect(x: number, y: number, left: number, top: number, right: number, bottom: number, r: number): boolean {
  if (x < left || x > right || y < top || y > bottom) return false;
  const cx = Math.min(Math.max(x, left + r), right - r);
  const cy = Math.min(Math.max(y, top + r), bottom - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function nearSegment(x: number, y: number, ax: number, ay: number, bx: number, by: number, halfWidth: number): boolean {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return (x - (ax + t * dx)) ** 2 + (y - (ay + t * dy)) ** 2 <= halfWidth * halfWidth;
}

/** The colour at a point, painted back to front. */
function paint(x: number, y: number): Rgba {
  if (!roundedRect(x, y, 16, 16, 496, 496, 104)) return [0, 0, 0, 0];
  const t = y / SIZE;
  let c: Rgba = [Math.round(31 + 20 * t), Math.round(95 - 25 * t), Math.round(191 - 40 * t), 255];
  // envelope body and flap
  if (roundedRect(x, y, 96, 150, 416, 362, 18)) {
    c = [247, 247, 245, 255];
    if (nearSegment(x, y, 100, 156, 256, 276, 7) || nearSegment(x, y, 412, 156, 256, 276, 7)) c = [190, 198, 210, 255];
  }
  // the seal
  const sx = 356;
  const sy = 338;
  const d2 = (x - sx) ** 2 + (y - sy) ** 2;
  if (d2 <= 70 ** 2) c = [255, 255, 255, 255];
  if (d2 <= 62 ** 2) c = [196, 48, 43, 255];
  if (d2 <= 44 ** 2 && d2 >= 36 ** 2) c = [232, 120, 110, 255];
  // a keyhole in the seal
  if ((x - sx) ** 2 + (y - (sy - 8)) ** 2 <= 11 ** 2 || (Math.abs(x - sx) <= 5 && y >= sy - 8 && y <= sy + 20)) c = [255, 236, 230, 255];
  return c;
}

function render(): Buffer {
  const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let py = 0; py < SIZE; py++) {
    const row = py * (SIZE * 4 + 1);
    raw[row] = 0; // filter: none
    for (let px = 0; px < SIZE; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const [cr, cg, cb, ca] = paint(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
        }
      }
      const o = row + 1 + px * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round(a / (SAMPLES * SAMPLES));
    }
  }
  return raw;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function iconPng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(render(), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? fileURLToPath(new URL('./icon.png', import.meta.url));
  writeFileSync(out, iconPng());
  process.stdout.write(`wrote ${out}\n`);
}
