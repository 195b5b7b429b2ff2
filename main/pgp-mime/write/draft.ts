/**
 * What the composer hands to `composeMessage` (and the drafts store keeps):
 * the message as the user wrote it, and how it is to be made.
 */
export interface Address {
  name: string;
  address: string;
}

export interface DraftAttachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

export interface Draft {
  from: Address;
  to: Address[];
  cc: Address[];
  bcc?: Address[];
  subject: string;
  text: string;
  html?: string;
  attachments: DraftAttachment[];
  inReplyTo?: string;
  references?: string[];
}

export interface ComposeOptions {
  encrypt: boolean;
  sign: boolean;
  attachKey: boolean;
  keyPasswords: string[];
  now?: Date;
  messageId?: string;
  /** The user's Autocrypt preference for the Autocrypt header (settings); default "nopreference", which writes no attribute. */
  preferEncrypt?: 'mutual' | 'nopreference';
  /**
   * The draft of the message (stored, and kept in the Drafts folder): it may
   * have no recipient yet, its Bcc stays in its header section (inside, when
   * encrypted) for the composer to get back, it carries no Autocrypt header,
   * and when encrypted it is encrypted to the sender alone (the recipients
   * may still change), with only Date, From, Message-ID and the obscured
   * Subject outside: a draft goes nowhere.
   */
  draft?: boolean;
}
