import type { SealpostBridge } from '../../../app/ipc/contract.ts';
import type { MessageItem } from '../../../app/mail.ts';
import { callBridge, type UiError } from './outcome.ts';
import { pagesFor, scrollToReveal, stepIndex, visibleWindow } from './virtual-list.ts';

/** Every row has this height (px): the list is drawn from arithmetic, not from measuring rows. */
export const ROW_HEIGHT = 52;
/** Rows fetched per `mail.messages` call. */
export const PAGE_SIZE = 200;
/** Pages kept around the visible window; farther ones are dropped so a long scroll does not hold the whole folder. */
const KEEP_PAGES = 6;

export interface Row {
  index: number;
  /** null while its page is loading. */
  item: MessageItem | null;
}

export const isUnread = (m: Pick<MessageItem, 'flags'>) => !m.flags.includes('\\Seen');
export const isFlagged = (m: Pick<MessageItem, 'flags'>) => m.flags.includes('\\Flagged');

/**
 * The message list of one folder, virtualized: only the rows in view (and a
 * few around them) exist, and only the pages under them are fetched with
 * `mail.messages {offset, limit}`. 20,000 messages cost what 20 cost.
 */
export class MessageListState {
  folderId = $state<number | null>(null);
  total = $state(0);
  /** The first page of the open folder has arrived. */
  loaded = $state(false);
  error = $state<UiError | null>(null);
  scrollTop = $state(0);
  viewportHeight = $state(600);
  selectedIndex = $state<number | null>(null);
  selectedUid = $state<string | null>(null);

  window = $derived(
    visibleWindow({ scrollTop: this.scrollTop, viewportHeight: this.viewportHeight, rowHeight: ROW_HEIGHT, total: this.total }),
  );
  rows = $derived.by((): Row[] => {
    const out: Row[] = [];
    for (let i = this.window.start; i < this.window.end; i++) out.push({ index: i, item: this.itemAt(i) });
    return out;
  });
  selected = $derived(this.selectedIndex === null ? null : this.itemAt(this.selectedIndex));

  readonly #bridge: SealpostBridge;
  /** Loaded pages by page number; replaced whole on each change (a handful of entries). */
  #pages = $state.raw<ReadonlyMap<number, MessageItem[]>>(new Map());
  readonly #inflight = new Map<number, Promise<void>>();
  /** Bumped when the folder changes or its contents are reloaded: older answers are dropped. */
  #generation = 0;
  /** Pages fetched since the last reload (a page may be shown from before the reload until its new copy arrives). */
  #fresh = new Set<number>();

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
  }

  itemAt(index: number): MessageItem | null {
    return this.#pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE] ?? null;
  }

  /** How many pages are held (for tests and for the memory bound). */
  get pagesHeld(): number {
    return this.#pages.size;
  }

  async open(folderId: number | null): Promise<void> {
    this.#generation++;
    this.folderId = folderId;
    this.#pages = new Map();
    this.#inflight.clear();
    this.#fresh.clear();
    this.total = 0;
    this.loaded = false;
    this.error = null;
    this.scrollTop = 0;
    this.selectedIndex = null;
    this.selectedUid = null;
    if (folderId === null) return;
    await this.#load(0, this.#generation);
    await this.ensureVisible();
  }

  /** The scroll container moved or was resized. */
  setViewport(scrollTop: number, viewportHeight: number): Promise<void> {
    this.scrollTop = Math.max(0, scrollTop);
    this.viewportHeight = Math.max(ROW_HEIGHT, viewportHeight);
    return this.ensureVisible();
  }

  /** Fetch the pages under the visible window that are not there (or not fresh) yet; drop far-away ones. */
  async ensureVisible(): Promise<void> {
    if (this.folderId === null) return;
    const { start, end } = this.window;
    const needed = pagesFor(start, Math.max(end, start + 1), PAGE_SIZE);
    const first = needed[0] ?? 0;
    const far = [...this.#pages.keys()].filter((page) => page < first - KEEP_PAGES || page > first + needed.length + KEEP_PAGES);
    if (far.length > 0) {
      const kept = new Map(this.#pages);
      for (const page of far) {
        kept.delete(page);
        this.#fresh.delete(page);
      }
      this.#pages = kept;
    }
    const generation = this.#generation;
    await Promise.all(needed.filter((p) => !this.#fresh.has(p)).map((p) => this.#load(p, generation)));
  }

  #load(page: number, generation: number): Promise<void> {
    const running = this.#inflight.get(page);
    if (running) return running;
    const folderId = this.folderId;
    if (folderId === null) return Promise.resolve();
    const task = (async () => {
      const r = await callBridge(this.#bridge, 'mail.messages', { folderId, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      if (generation !== this.#generation) return;
      if (!r.ok) {
        this.error = r.error;
        return;
      }
      this.error = null;
      this.total = r.value.total;
      this.#pages = new Map(this.#pages).set(page, r.value.items);
      this.#fresh.add(page);
      this.loaded = true;
      this.#reselect();
    })().finally(() => {
      if (this.#inflight.get(page) === task) this.#inflight.delete(page);
    });
    this.#inflight.set(page, task);
    return task;
  }

  /**
   * The folder's contents changed (a sync, an action, new mail): fetch the
   * visible pages again. The rows stay on screen until the new ones arrive,
   * and the selection follows its message, not its position.
   */
  async reload(): Promise<void> {
    if (this.folderId === null) return;
    this.#generation++;
    this.#inflight.clear();
    this.#fresh.clear();
    const generation = this.#generation;
    const { start, end } = this.window;
    const needed = pagesFor(start, Math.max(end, start + 1), PAGE_SIZE);
    this.#pages = new Map([...this.#pages].filter(([page]) => needed.includes(page)));
    await Promise.all((needed.length > 0 ? needed : [0]).map((p) => this.#load(p, generation)));
  }

  /** After new rows arrived: find the selected message again (its index may have moved). */
  #reselect(): void {
    if (this.selectedUid === null) return;
    const at = this.selectedIndex === null ? null : this.itemAt(this.selectedIndex);
    if (at?.uid === this.selectedUid) return;
    for (const [page, items] of this.#pages) {
      const i = items.findIndex((m) => m.uid === this.selectedUid);
      if (i >= 0) {
        this.selectedIndex = page * PAGE_SIZE + i;
        return;
      }
    }
    // Gone from the folder (moved, deleted): the row that took its place is selected, not opened.
    if (this.selectedIndex !== null && this.total > 0) {
      this.selectedIndex = Math.min(this.selectedIndex, this.total - 1);
      this.selectedUid = this.itemAt(this.selectedIndex)?.uid ?? null;
    } else {
      this.selectedIndex = null;
      this.selectedUid = null;
    }
  }

  /** Select a row and scroll it into view; returns its message when loaded. */
  select(index: number | null): MessageItem | null {
    if (index === null || this.total === 0) {
      this.selectedIndex = null;
      this.selectedUid = null;
      return null;
    }
    const i = Math.min(Math.max(0, index), this.total - 1);
    this.selectedIndex = i;
    const item = this.itemAt(i);
    this.selectedUid = item?.uid ?? null;
    this.scrollTop = scrollToReveal(i, this.scrollTop, this.viewportHeight, ROW_HEIGHT);
    void this.ensureVisible();
    return item;
  }

  /** Select the row `delta` away (j/k, arrows, page keys). */
  move(delta: number): MessageItem | null {
    return this.select(stepIndex(this.selectedIndex, delta, this.total));
  }

  /** Load the page of a row (for a selection that landed on a row not loaded yet) and return its message. */
  async itemLoaded(index: number): Promise<MessageItem | null> {
    const found = this.itemAt(index);
    if (found) return found;
    await this.#load(Math.floor(index / PAGE_SIZE), this.#generation);
    const item = this.itemAt(index);
    if (item && this.selectedIndex === index) this.selectedUid = item.uid;
    return item;
  }

  /** Rows visible per screen, for PageUp/PageDown. */
  get pageRows(): number {
    return Math.max(1, Math.floor(this.viewportHeight / ROW_HEIGHT) - 1);
  }

  /**
   * Protected subjects of messages opened in this session (an encrypted
   * message's list entry says "..." until it is decrypted). Kept in memory
   * only: plaintext of encrypted mail is never written to disk.
   */
  #revealed = $state.raw<Readonly<Record<string, string>>>({});

  /** The subject to show for a row: the protected one once the message was opened. */
  subjectOf(item: Pick<MessageItem, 'folderId' | 'uid' | 'subject'>): string {
    return this.#revealed[`${item.folderId}:${item.uid}`] ?? item.subject;
  }

  reveal(item: Pick<MessageItem, 'folderId' | 'uid'>, subject: string): void {
    const key = `${item.folderId}:${item.uid}`;
    if (this.#revealed[key] !== subject) this.#revealed = { ...this.#revealed, [key]: subject };
  }

  /** Change a message's flags in place (an action the store applies too; the reload after it confirms). */
  updateFlags(uid: string, change: (flags: string[]) => string[]): void {
    for (const [page, items] of this.#pages) {
      const i = items.findIndex((m) => m.uid === uid);
      if (i < 0) continue;
      const next = items.slice();
      next[i] = { ...items[i]!, flags: change(items[i]!.flags) };
      this.#pages = new Map(this.#pages).set(page, next);
      return;
    }
  }
}
