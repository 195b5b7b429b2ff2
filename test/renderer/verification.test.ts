// The key details' QR code (renderer/src/lib/verification.ts): the path the app
// draws, rasterized, decodes (jsQR, as a phone's scanner would) to the
// OPENPGP4FPR URI of the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import jsqrModule from 'jsqr';
import { openpgp4fpr, qrPath } from '../../renderer/src/lib/verification.ts';

// jsqr is CommonJS with an ES default export: under Node's ESM its function is `.default` of the module object.
const jsQR = ((jsqrModule as unknown as { default?: typeof jsqrModule }).default ?? jsqrModule) as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;

/** Paints the path's rectangles ("MxXyYhRv1h-Rz") into an RGBA image, `scale` pixels a module. */
function rasterize(size: number, path: string, scale = 6): { data: Uint8ClampedArray; width: number } {
  const width = size * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  for (const m of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, run] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let py = y * scale; py < (y + 1) * scale; py++)
      for (let px = x * scale; px < (x + run) * scale; px++) {
        const i = (py * width + px) * 4;
        data[i] = data[i + 1] = data[i + 2] = 0;
      }
  }
  return { data, width };
}

test('the QR code drawn for a fingerprint scans as OPENPGP4FPR:<fingerprint>', () => {
  for (const fpr of ['EB85BB5FA33A75E15E944E63F231550C4F47E38E', 'a'.repeat(64), 'D1A6 6E1A 23B1 82C9 980F 788C FBFC C82A 015E 7330']) {
    const uri = openpgp4fpr(fpr);
    assert.match(uri, /^OPENPGP4FPR:[0-9A-F]{40,64}$/);
    const { size, path } = qrPath(uri);
    const image = rasterize(size, path);
    const decoded = jsQR(image.data, image.width, image.width);
    assert.equal(decoded?.data, uri, fpr);
  }
});
