// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient declaration every tsconfig that reaches this file must see
/// <reference path="../types/qrcode-core.d.ts" />
// The encoder alone: the package's main entry also loads renderers that need Node's fs.
import { create } from 'qrcode/lib/core/qrcode.js';

/**
 * What a phone scans to verify a key: the `OPENPGP4FPR:` URI that
 * OpenKeychain and Delta Chat read (the fingerprint in upper-case hex).
 */
export function openpgp4fpr(fingerprint: string): string {
  return `OPENPGP4FPR:${fingerprint.replace(/\s+/g, '').toUpperCase()}`;
}

/** A QR code as an SVG path (one unit per module, a quiet zone of `margin` modules): drawn by the app, no markup to inject. */
export interface QrPath {
  size: number;
  path: string;
}

export function qrPath(text: string, margin = 2): QrPath {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const parts: string[] = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // Runs of dark modules on a row become one rectangle: a short path, sharp edges.
      if (!modules.get(y, x)) continue;
      let run = 1;
      while (x + run < n && modules.get(y, x + run)) run++;
      parts.push(`M${x + margin} ${y + margin}h${run}v1h-${run}z`);
      x += run - 1;
    }
  }
  return { size: n + 2 * margin, path: parts.join('') };
}
