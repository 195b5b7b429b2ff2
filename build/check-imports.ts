/**
 * The design's import rules (shared design, "Folders"), checked over the
 * sources: a rule nobody checks does not hold. Run by `npm run lint` and by
 * test/build/check-imports.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|svelte)$/;
const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"]|(?:^|[^\w.])(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    // Build tool configuration (vite.config.ts) runs in Node at build time, not in the layer it configures.
    else if (SOURCE.test(name) && !/^(vite|svelte)\.config\./.test(name)) out.push(path);
  }
  return out;
}

/** Top folder and path (posix) of an import, or the package name for a bare specifier. */
function target(file: string, specifier: string, root: string): { kind: 'local'; path: string } | { kind: 'package'; name: string } {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const abs = resolve(dirname(file), specifier);
    return { kind: 'local', path: relative(root, abs).split(sep).join('/') };
  }
  if (specifier.startsWith('node:')) return { kind: 'package', name: 'node:' };
  const parts = specifier.split('/');
  return { kind: 'package', name: specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]! };
}

const KEYRING_ROOTS = ['main/keyring-host/worker-keyring.ts', 'main/electron/keyring-process.ts'];

export function check(file: string, specifier: string, typeOnly: boolean, root = ROOT): string | null {
  const rel = relative(root, file).split(sep).join('/');
  const top = rel.split('/')[0]!;
  const t = target(file, specifier, root);
  const electronAllowed = rel.startsWith('main/electron/') || rel.startsWith('main/preload/');
  if (t.kind === 'package' && t.name === 'electron' && !electronAllowed && top !== 'test') {
    return 'only main/electron and main/preload import electron';
  }
  const localTop = t.kind === 'local' ? t.path.split('/')[0] : null;
  // app/node/ is the Node half of app/: node:* and app/, for keyring/ and main/ only.
  const intoAppNode = t.kind === 'local' && t.path.startsWith('app/node/');
  if (rel.startsWith('app/node/')) {
    if (t.kind === 'package') return t.name === 'node:' || typeOnly ? null : 'app/node/ imports only node:* and app/';
    return localTop === 'app' ? null : 'app/node/ imports only node:* and app/';
  }
  if (intoAppNode && top !== 'keyring' && top !== 'main' && top !== 'test' && top !== 'build') {
    return 'only keyring/ and main/ import app/node/';
  }
  switch (top) {
    case 'app':
      if (t.kind === 'package') return t.name === 'zod' || typeOnly ? null : 'app/ imports only the schema library (zod)';
      return localTop === 'app' ? null : 'app/ imports only app/';
    case 'keyring':
      if (t.kind === 'package')
        return ['openpgp', 'node:'].includes(t.name) || typeOnly ? null : 'keyring/ imports only app/, openpgp and node:*';
      return localTop === 'app' || localTop === 'keyring' ? null : 'keyring/ imports only app/ and keyring/';
    case 'main':
      if (t.kind === 'package') return null;
      // main/ depends on the KeyringClient interface (app/keyring-client.ts); only the two roots that start the keyring make its client.
      if (localTop === 'keyring')
        return t.path === 'keyring/client.ts' && KEYRING_ROOTS.includes(rel)
          ? null
          : 'main/ reaches the keyring through app/keyring-client.ts; only its composition roots import keyring/client.ts';
      return localTop === 'app' || localTop === 'main' || localTop === 'package.json' ? null : `main/ may not import ${localTop}/`;
    case 'renderer':
      if (t.kind === 'package')
        return t.name === 'svelte' ||
          t.name === 'zod' ||
          t.name === 'dompurify' /* sanitizes HTML mail before the reader's sandboxed frame shows it */ ||
          typeOnly
          ? null
          : 'renderer/ imports only app/, svelte and dompurify';
      return localTop === 'app' || localTop === 'renderer' ? null : 'renderer/ imports only app/ and renderer/';
    default:
      return null;
  }
}

export function findViolations(root = ROOT): Violation[] {
  const violations: Violation[] = [];
  for (const top of ['app', 'keyring', 'main', 'renderer', 'build']) {
    let files: string[];
    try {
      files = walk(join(root, top));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const specifier = m[2] ?? m[3];
        if (!specifier) continue;
        const rule = check(file, specifier, Boolean(m[1]), root);
        if (rule) violations.push({ file: relative(root, file), specifier, rule });
      }
    }
  }
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const violations = findViolations();
  for (const v of violations) console.error(`${v.file}: imports "${v.specifier}": ${v.rule}`);
  console.log(violations.length === 0 ? 'import rules: no violations' : `import rules: ${violations.length} violation(s)`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}
