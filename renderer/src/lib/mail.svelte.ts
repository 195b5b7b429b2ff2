import type { EventPayload, SealpostBridge } from '../../../app/ipc/contract.ts';
import type { DraftSummary, FolderView, MessageItem, OutboxEntry, SyncProgress } from '../../../app/mail.ts';
import type { AccountsState } from './accounts.svelte.ts';
import { isFlagged, isUnread, MessageListState } from './message-list.svelte.ts';
import { callBridge, type UiError } from './outcome.ts';
import { ReaderState, type ReaderContext, type Sanitizer } from './reader.svelte.ts';

export type FolderRole = NonNullable<FolderView['role']>;

/** Role folders first, in the order mail clients show them; the rest by name. */
const ROLE_ORDER: FolderRole[] = ['inbox', 'flagged', 'drafts', 'sent', 'archive', 'all', 'junk', 'trash'];
export const ROLE_LABEL: Record<FolderRole, string> = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sent: 'Sent',
  archive: 'Archive',
  junk: 'Junk',
  trash: 'Trash',
  all: 'All Mail',
  flagged: 'Flagged',
};

export function folderLabel(folder: Pick<FolderView, 'role' | 'path'>): string {
  if (folder.role) return ROLE_LABEL[folder.role];
  const parts = folder.path.split(/[/.]/);
  return parts[parts.length - 1] || folder.path;
}

/** Nesting depth of a folder that has no role (a/b/c is 2), for indentation. */
export function folderDepth(folder: Pick<FolderView, 'role' | 'path'>): number {
  if (folder.role) return 0;
  return Math.min(4, folder.path.split('/').length - 1);
}

export function sortFolders(folders: readonly FolderView[]): FolderView[] {
  const rank = (f: FolderView) => (f.role ? ROLE_ORDER.indexOf(f.role) : ROLE_ORDER.length);
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

/** A sync's progress as the status bar shows it. */
export interface SyncView {
  phase: SyncProgress['phase'];
  folder: string | null;
  done: number | null;
  total: number | null;
  message: string | null;
  at: number;
}

export function syncText(s: SyncView): string {
  switch (s.phase) {
    case 'started':
      return 'Connecting…';
    case 'outbox':
      return s.total ? `Sending ${s.done ?? 0} of ${s.total}…` : 'Sending…';
    case 'folders':
      return 'Checking folders…';
    case 'folder':
      return s.total
        ? `Getting ${s.folder ?? 'mail'}: ${(s.done ?? 0).toLocaleString('en')} of ${s.total.toLocaleString('en')}`
        : `Getting ${s.folder ?? 'mail'}…`;
    case 'done':
      return 'Up to date';
    case 'failed':
      return `Could not get mail: ${s.message ?? 'the sync failed'}`;
  }
}

export type MailAction = 'read' | 'unread' | 'flag' | 'unflag' | 'trash' | 'archive' | 'move';

/**
 * The mail screen: accounts and their folders (with unread counts), the open
 * folder's list, the reader, sync progress and the outbox. Follows main's
 * events: mail.changed, mail.arrived, sync.progress, outbox.changed.
 */
export class MailState {
  accountId = $state<string | null>(null);
  folderId = $state<number | null>(null);
  /** By account id; each replaced whole on change. */
  folders = $state.raw<Readonly<Record<string, FolderView[]>>>({});
  sync = $state.raw<Readonly<Record<string, SyncView>>>({});
  outbox = $state.raw<Readonly<Record<string, OutboxEntry[]>>>({});
  /** Drafts kept on this computer (`drafts.list`), to resume. */
  drafts = $state.raw<Readonly<Record<string, DraftSummary[]>>>({});
  error = $state<UiError | null>(null);
  /** A sentence for the screen reader's live region ("3 new messages in Inbox"). */
  announcement = $state('');
  readonly list: MessageListState;
  readonly reader: ReaderState;

  folder = $derived.by(() => {
    for (const list of Object.values(this.folders)) {
      const f = list.find((x) => x.id === this.folderId);
      if (f) return f;
    }
    return null;
  });
  account = $derived.by(() => this.#accounts.byId(this.accountId));
  /** Outbox entries not sent yet, all accounts. */
  pending = $derived(
    Object.values(this.outbox)
      .flat()
      .filter((e) => e.state !== 'sent'),
  );

  readonly #bridge: SealpostBridge;
  readonly #accounts: AccountsState;
  #off: (() => void)[] = [];

  constructor(bridge: SealpostBridge, accounts: AccountsState, context: ReaderContext, sanitize: Sanitizer | null = null) {
    this.#bridge = bridge;
    this.#accounts = accounts;
    this.list = new MessageListState(bridge);
    this.reader = new ReaderState(bridge, context, sanitize);
  }

  /** Load every account's folders and outbox, open the first inbox, follow events, and sync. */
  async start(options: { sync?: boolean } = {}): Promise<void> {
    this.stop();
    const b = this.#bridge;
    this.#off.push(
      b.on('mail.changed', (p) => void this.onChanged(p)),
      b.on('mail.arrived', (p) => this.onArrived(p)),
      b.on('sync.progress', (p) => this.onSyncProgress(p)),
      b.on('outbox.changed', (p) => void this.refreshOutbox(p.accountId)),
    );
    const accounts = this.#accounts.accounts;
    await Promise.all(accounts.map((a) => Promise.all([this.loadFolders(a.id), this.refreshOutbox(a.id), this.loadDrafts(a.id)])));
    const first = accounts[0];
    if (first && this.folderId === null) {
      const inbox = (this.folders[first.id] ?? []).find((f) => f.role === 'inbox') ?? this.folders[first.id]?.[0];
      this.accountId = first.id;
      if (inbox) await this.openFolder(inbox);
    }
    if (options.sync !== false) for (const a of accounts) void this.syncAccount(a.id);
  }

  stop(): void {
    for (const off of this.#off) off();
    this.#off = [];
  }

  async loadFolders(accountId: string): Promise<void> {
    const r = await callBridge(this.#bridge, 'mail.folders', { accountId });
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.folders = { ...this.folders, [accountId]: sortFolders(r.value) };
    // The first sync of an account creates its folders: open its inbox then.
    if (this.folderId === null && (this.accountId === null || this.accountId === accountId)) {
      const inbox = r.value.find((f) => f.role === 'inbox');
      if (inbox) {
        this.accountId = accountId;
        await this.openFolder(inbox);
      }
    }
  }

  /** An account was removed: drop what is shown of it. */
  async forgetAccount(accountId: string): Promise<void> {
    const without = <T>(r: Readonly<Record<string, T>>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== accountId));
    this.folders = without(this.folders);
    this.sync = without(this.sync);
    this.outbox = without(this.outbox);
    this.drafts = without(this.drafts);
    if (this.accountId !== accountId) return;
    this.accountId = null;
    this.folderId = null;
    this.reader.clear();
    void callBridge(this.#bridge, 'mail.watch', { folderId: null });
    await this.list.open(null);
    const next = this.#accounts.accounts[0];
    const inbox = next ? (this.folders[next.id] ?? []).find((f) => f.role === 'inbox') : undefined;
    if (inbox) await this.openFolder(inbox);
  }

  async openFolder(folder: FolderView): Promise<void> {
    if (this.folderId === folder.id) return;
    this.accountId = folder.accountId;
    this.folderId = folder.id;
    this.reader.clear();
    void callBridge(this.#bridge, 'mail.watch', { folderId: folder.id });
    await this.list.open(folder.id);
  }

  async syncAccount(accountId: string): Promise<boolean> {
    const r = await callBridge(this.#bridge, 'mail.sync', { accountId });
    if (!r.ok) {
      this.sync = {
        ...this.sync,
        [accountId]: { phase: 'failed', folder: null, done: null, total: null, message: r.error.summary, at: Date.now() },
      };
      return false;
    }
    await this.loadFolders(accountId);
    return true;
  }

  syncAll(): Promise<boolean[]> {
    return Promise.all(this.#accounts.accounts.map((a) => this.syncAccount(a.id)));
  }

  onSyncProgress(p: EventPayload<'sync.progress'>): void {
    this.sync = {
      ...this.sync,
      [p.accountId]: {
        phase: p.phase,
        folder: p.folder ?? null,
        done: p.done ?? null,
        total: p.total ?? null,
        message: p.message ?? null,
        at: Date.now(),
      },
    };
  }

  async onChanged(p: EventPayload<'mail.changed'>): Promise<void> {
    await this.loadFolders(p.accountId);
    if (this.folderId !== null && (p.folderIds.length === 0 || p.folderIds.includes(this.folderId))) await this.list.reload();
  }

  onArrived(p: EventPayload<'mail.arrived'>): void {
    const folder = (this.folders[p.accountId] ?? []).find((f) => f.id === p.folderId);
    const where = folder ? folderLabel(folder) : 'your inbox';
    this.announcement =
      p.count === 1 ? `1 new message in ${where}${p.latest ? ` from ${p.latest.from}` : ''}.` : `${p.count} new messages in ${where}.`;
    // No reload here: main sends mail.changed for the same sync, and one arrival is one reload.
  }

  async refreshOutbox(accountId: string): Promise<void> {
    const r = await callBridge(this.#bridge, 'outbox.list', { accountId });
    if (r.ok) this.outbox = { ...this.outbox, [accountId]: r.value };
  }

  async loadDrafts(accountId: string): Promise<void> {
    const r = await callBridge(this.#bridge, 'drafts.list', { accountId });
    if (r.ok) this.drafts = { ...this.drafts, [accountId]: [...r.value].sort((a, b) => b.updatedAt - a.updatedAt) };
  }

  async retrySend(entry: OutboxEntry): Promise<void> {
    const r = await callBridge(this.#bridge, 'outbox.retry', { id: entry.id });
    if (!r.ok) this.error = r.error;
    await this.refreshOutbox(entry.accountId);
  }

  async cancelSend(entry: OutboxEntry): Promise<void> {
    const r = await callBridge(this.#bridge, 'outbox.cancel', { id: entry.id });
    if (!r.ok) this.error = r.error;
    await this.refreshOutbox(entry.accountId);
  }

  /** Select a row of the list and open its message (marked read when it was unread). */
  async selectIndex(index: number | null): Promise<void> {
    this.list.select(index);
    if (this.list.selectedIndex === null) {
      this.reader.clear();
      return;
    }
    const item = await this.list.itemLoaded(this.list.selectedIndex);
    if (!item || this.list.selectedUid !== item.uid) return;
    await this.#openMessage(item);
  }

  move(delta: number): Promise<void> {
    if (this.list.total === 0) return Promise.resolve();
    const from = this.list.selectedIndex;
    const target = from === null ? (delta >= 0 ? 0 : this.list.total - 1) : Math.min(this.list.total - 1, Math.max(0, from + delta));
    if (target === from) return Promise.resolve();
    return this.selectIndex(target);
  }

  async #openMessage(item: MessageItem): Promise<void> {
    const reading = this.reader.open(item);
    if (isUnread(item)) await this.act('read', item);
    if (!(await reading)) return;
    const report = this.reader.view?.report;
    if (report?.encryption.protectedHeaders && report.subject !== item.subject) this.list.reveal(item, report.subject);
  }

  /** An action on a message (the selected one by default); trash and archive move the selection to the next message. */
  async act(kind: MailAction, item: MessageItem | null = this.list.selected, to?: string): Promise<boolean> {
    const folder = this.folder;
    const accountId = this.accountId;
    if (!item || !folder || !accountId) return false;
    if (kind === 'move' && (!to || to === folder.path)) return false;
    if (kind === 'read' || kind === 'unread')
      this.list.updateFlags(item.uid, (f) => (kind === 'read' ? [...new Set([...f, '\\Seen'])] : f.filter((x) => x !== '\\Seen')));
    if (kind === 'flag' || kind === 'unflag')
      this.list.updateFlags(item.uid, (f) => (kind === 'flag' ? [...new Set([...f, '\\Flagged'])] : f.filter((x) => x !== '\\Flagged')));
    const removes = kind === 'trash' || kind === 'archive' || kind === 'move';
    if (removes && this.list.selectedUid === item.uid) {
      // The next message takes the place of the one that goes (as in every mail client).
      const index = this.list.selectedIndex ?? 0;
      const next = this.list.itemAt(index + 1) ?? this.list.itemAt(index - 1);
      this.reader.clear();
      this.list.selectedUid = next?.uid ?? null;
    }
    const r = await callBridge(this.#bridge, 'mail.action', {
      accountId,
      kind,
      folder: folder.path,
      uids: [item.uid],
      ...(kind === 'move' && to ? { to } : {}),
    });
    if (!r.ok) {
      this.error = r.error;
      await this.list.reload();
      return false;
    }
    this.error = null;
    if (removes && this.list.selectedUid) {
      await this.list.reload();
      const at = this.list.selectedIndex;
      const next = at === null ? null : this.list.itemAt(at);
      if (next && next.uid === this.list.selectedUid) await this.reader.open(next);
    }
    return true;
  }

  /** Move the selected message to another folder of its account. */
  moveTo(path: string): Promise<boolean> {
    return this.act('move', this.list.selected, path);
  }

  /** Folders the open message can be moved to. */
  moveTargets = $derived.by(() => (this.accountId ? (this.folders[this.accountId] ?? []).filter((f) => f.id !== this.folderId) : []));

  toggleRead(): Promise<boolean> {
    const item = this.list.selected;
    return item ? this.act(isUnread(item) ? 'read' : 'unread', item) : Promise.resolve(false);
  }

  toggleFlag(): Promise<boolean> {
    const item = this.list.selected;
    return item ? this.act(isFlagged(item) ? 'unflag' : 'flag', item) : Promise.resolve(false);
  }
}
