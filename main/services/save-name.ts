/**
 * The name a save dialog offers for a file whose name came from a message
 * (untrusted): one path segment, no control or reserved characters, no
 * leading dot (a hidden file), not a Windows device name, at most 200
 * characters, the extension kept. The user can still change it in the dialog.
 */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

export function saveName(name: string, fallback = 'attachment'): string {
  let cleaned = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\\/:*?"<>|]+/gu, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '');
  if (cleaned.length > 200) {
    const dot = cleaned.lastIndexOf('.');
    const ext = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
    cleaned = cleaned.slice(0, 200 - ext.length) + ext;
  }
  if (cleaned === '' || /^_+$/.test(cleaned)) return fallback;
  return RESERVED.test(cleaned) ? `_${cleaned}` : cleaned;
}
