/**
 * The encoder of the `qrcode` package alone (lib/core/qrcode.js): the
 * package's main entry also loads its file and terminal renderers, which
 * need Node's fs. The renderer draws the modules itself.
 */
declare module 'qrcode/lib/core/qrcode.js' {
  export function create(
    text: string,
    options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' },
  ): { modules: { size: number; get(row: number, col: number): number | boolean } };
}
