import type { BrowserWindow, Dialog, SaveDialogOptions } from 'electron';
import { join } from 'node:path';
import { ioDetails, SealpostError } from '../../app/errors.ts';
import { writeFileAtomic } from '../../app/node/atomic-file.ts';

const RESERVED_WINDOWS_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_NAME = 200;

/**
 * A file name proposed in the save dialog. It comes from a message (an
 * attachment's name), so it is reduced to one plain name: no folders, no
 * `..`, no characters that Windows, macOS or Linux refuse or that hide the
 * real extension (bidirectional overrides), not a device name. The user
 * still picks the folder and can change the name.
 */
export function safeFileName(name: string, fallback = 'attachment'): string {
  let clean = String(name)
    .normalize('NFC')
    .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, '')
    .replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (clean.length > MAX_NAME) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = clean.slice(0, MAX_NAME - ext.length) + ext;
  }
  if (clean === '' || RESERVED_WINDOWS_NAMES.test(clean)) return fallback;
  return clean;
}

export interface SaveFileDeps {
  dialog: Pick<Dialog, 'showSaveDialog'>;
  /** The window the dialog belongs to, if one is open. */
  window(): BrowserWindow | null;
  /** The folder the dialog starts in (the user's Downloads). */
  folder(): string;
}

/**
 * `dialogs.saveFile` for the handlers: the system's save dialog, then the
 * bytes written atomically (temporary file in the chosen folder, fsync,
 * rename) and readable by the user only. False when the user cancelled.
 */
export function createSaveFile(deps: SaveFileDeps): (defaultName: string, bytes: Uint8Array) => Promise<boolean> {
  return async (defaultName, bytes) => {
    let folder: string | undefined;
    try {
      folder = deps.folder();
    } catch {
      folder = undefined; // the dialog then starts where the system chooses
    }
    const name = safeFileName(defaultName);
    const options: SaveDialogOptions = {
      title: 'Save',
      defaultPath: folder ? join(folder, name) : name,
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    };
    const owner = deps.window();
    const choice = owner ? await deps.dialog.showSaveDialog(owner, options) : await deps.dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return false;
    try {
      await writeFileAtomic(choice.filePath, bytes, 0o600);
    } catch (e) {
      throw new SealpostError(
        'io',
        `${choice.filePath}: ${(e as NodeJS.ErrnoException).code ?? 'cannot write'}`,
        ioDetails(choice.filePath, e),
      );
    }
    return true;
  };
}
