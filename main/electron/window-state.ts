import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_BOUNDS, MIN_HEIGHT, MIN_WIDTH, type Bounds } from './window-options.ts';

/** Where the window's size and place are kept, in the profile. */
export function windowStateFile(profile: string): string {
  return join(profile, 'window-state.json');
}

const Int = z.number().int().min(-100_000).max(100_000);
const SavedState = z.object({
  bounds: z.object({ x: Int, y: Int, width: Int, height: Int }),
  maximized: z.boolean().default(false),
});
export type WindowState = { bounds: Bounds; maximized: boolean };

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Saved bounds as they can be used now: sizes kept within the limits, and
 * the position dropped (the window system centres it) when too little of
 * the window would be on any of the current screens (a monitor unplugged).
 */
export function fitToScreens(saved: Rect, workAreas: readonly Rect[]): Bounds {
  const largest = workAreas.reduce(
    (a, b) => (b.width * b.height > a.width * a.height ? b : a),
    workAreas[0] ?? { x: 0, y: 0, width: 1920, height: 1080 },
  );
  const width = Math.max(MIN_WIDTH, Math.min(saved.width, largest.width));
  const height = Math.max(MIN_HEIGHT, Math.min(saved.height, largest.height));
  const visible = workAreas.some((a) => {
    const w = Math.min(saved.x + width, a.x + a.width) - Math.max(saved.x, a.x);
    const h = Math.min(saved.y + height, a.y + a.height) - Math.max(saved.y, a.y);
    return w >= 100 && h >= 50;
  });
  return visible ? { x: saved.x, y: saved.y, width, height } : { width, height };
}

/** The saved state, or the default one when there is none or it is unreadable (it is only a convenience). */
export async function loadWindowState(file: string, workAreas: readonly Rect[]): Promise<WindowState> {
  try {
    const saved = SavedState.parse(JSON.parse(await readFile(file, 'utf8')));
    return { bounds: fitToScreens(saved.bounds, workAreas), maximized: saved.maximized };
  } catch {
    return { bounds: DEFAULT_BOUNDS, maximized: false };
  }
}

/**
 * Written atomically (temporary file, then rename): a crash leaves the old
 * file or the new one. Synchronous, because it runs as the window closes and
 * the app may quit right after.
 */
export function saveWindowState(file: string, state: { bounds: Rect; maximized: boolean }): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ bounds: state.bounds, maximized: state.maximized })}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
