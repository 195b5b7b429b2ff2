/**
 * Keyboard shortcuts: one table, read by the key handler and by the help
 * overlay (so what the overlay says is what the keys do). Single-letter
 * shortcuts are ignored while the user types in a field.
 */

export type ShortcutAction =
  | 'compose'
  | 'reply'
  | 'reply-all'
  | 'forward'
  | 'trash'
  | 'archive'
  | 'toggle-read'
  | 'toggle-flag'
  | 'next'
  | 'previous'
  | 'sync'
  | 'send'
  | 'close'
  | 'help'
  | 'go-mail'
  | 'go-keys'
  | 'go-settings';

export interface Shortcut {
  action: ShortcutAction;
  /** As shown in the help overlay. */
  keys: string[];
  label: string;
  /** Where it applies, for the overlay's grouping. */
  scope: 'Anywhere' | 'Mail' | 'Composer';
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'compose', keys: ['c'], label: 'Write a new message', scope: 'Mail' },
  { action: 'reply', keys: ['r'], label: 'Reply', scope: 'Mail' },
  { action: 'reply-all', keys: ['a'], label: 'Reply to all', scope: 'Mail' },
  { action: 'forward', keys: ['f'], label: 'Forward', scope: 'Mail' },
  { action: 'trash', keys: ['Delete', '#'], label: 'Move to Trash', scope: 'Mail' },
  { action: 'archive', keys: ['e'], label: 'Archive', scope: 'Mail' },
  { action: 'toggle-read', keys: ['u'], label: 'Mark read or unread', scope: 'Mail' },
  { action: 'toggle-flag', keys: ['s'], label: 'Flag or unflag', scope: 'Mail' },
  { action: 'next', keys: ['j', '↓ in the list'], label: 'Next message', scope: 'Mail' },
  { action: 'previous', keys: ['k', '↑ in the list'], label: 'Previous message', scope: 'Mail' },
  { action: 'sync', keys: ['F5'], label: 'Get new mail', scope: 'Mail' },
  { action: 'send', keys: ['Ctrl+Enter'], label: 'Send the message', scope: 'Composer' },
  { action: 'close', keys: ['Escape'], label: 'Close the composer, a dialog or this help', scope: 'Anywhere' },
  { action: 'help', keys: ['?'], label: 'Show the keyboard shortcuts', scope: 'Anywhere' },
  { action: 'go-mail', keys: ['g then m'], label: 'Go to Mail', scope: 'Anywhere' },
  { action: 'go-keys', keys: ['g then k'], label: 'Go to Keys', scope: 'Anywhere' },
  { action: 'go-settings', keys: ['g then s'], label: 'Go to Settings', scope: 'Anywhere' },
];

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey?: boolean;
  /** The event's target is a text field, a select or editable content. */
  editing: boolean;
}

const LETTERS: Record<string, ShortcutAction> = {
  c: 'compose',
  r: 'reply',
  a: 'reply-all',
  f: 'forward',
  e: 'archive',
  u: 'toggle-read',
  s: 'toggle-flag',
  j: 'next',
  k: 'previous',
  '#': 'trash',
  '?': 'help',
};
const AFTER_G: Record<string, ShortcutAction> = { m: 'go-mail', k: 'go-keys', s: 'go-settings' };

/**
 * Turns key presses into actions. Holds one piece of state: whether the last
 * key was the "g" of a two-key sequence.
 */
export class ShortcutReader {
  #pendingG = false;

  read(e: KeyInput): ShortcutAction | null {
    const pendingG = this.#pendingG;
    this.#pendingG = false;
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') return 'send';
    if (e.key === 'Escape') return 'close';
    if (e.ctrlKey || e.metaKey || e.altKey) return null;
    if (e.key === 'F5') return 'sync';
    if (e.editing) return null;
    if (pendingG) return AFTER_G[e.key] ?? null;
    if (e.key === 'g') {
      this.#pendingG = true;
      return null;
    }
    if (e.key === 'Delete') return 'trash';
    return LETTERS[e.key] ?? null;
  }
}

/** Whether an event target is something the user types into (shortcut letters belong to it then). */
export function isEditable(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (el as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(type);
  }
  return false;
}
