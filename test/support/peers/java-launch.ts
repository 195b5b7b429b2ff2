/**
 * Starting PGPainless (a Java program) for the tests at half the cost: the
 * Debian wrapper script `exec`s `java ... -jar pgpainless-cli.jar`, and a JVM
 * start is most of every call. Run the same jars with the JVM's class-data
 * sharing archive (made by the first call of this process, JDK 13+
 * `-XX:ArchiveClassesAtExit`) and the quick C1 compiler only: the calls are
 * short, so the optimising compiler never pays for itself.
 *
 * Falls back to the wrapper when its `exec` line is not the expected one.
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface Launch {
  cmd: string;
  args: (args: string[]) => string[];
}

const QUIET = ['-Xlog:cds=off', '-Xlog:cds+dynamic=off', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

let archive: { path: string; state: 'none' | 'making' | 'ready' } | null = null;

function archiveArgs(): string[] {
  if (!archive) {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-jsa-'));
    archive = { path: join(dir, 'classes.jsa'), state: 'none' };
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  if (archive.state === 'ready') return [`-XX:SharedArchiveFile=${archive.path}`];
  if (archive.state === 'none') {
    archive.state = 'making';
    return [`-XX:ArchiveClassesAtExit=${archive.path}`];
  }
  return [];
}

/** After a call that was given `-XX:ArchiveClassesAtExit`: the archive is there for the next ones. */
export function noteJavaExit(args: readonly string[]): void {
  if (archive && args.some((a) => a.startsWith('-XX:ArchiveClassesAtExit='))) archive.state = existsSync(archive.path) ? 'ready' : 'none';
}

function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // next
    }
  }
  return null;
}

/** How to start the program the wrapper script `bin` on PATH starts, or the wrapper itself. */
export function javaLaunch(bin: string): Launch {
  const wrapper = which(bin);
  const java = which('java');
  let script = '';
  try {
    if (!wrapper || !java) throw new Error('not on PATH');
    script = readFileSync(wrapper, 'utf8');
  } catch {
    return { cmd: bin, args: (a) => a };
  }
  const m = /^exec \$JAVA_HOME\/bin\/java ((?:-Xbootclasspath\/a:\S+ )?)-jar (\S+\.jar) "\$@"$/m.exec(script);
  if (!m) return { cmd: bin, args: (a) => a };
  const boot = m[1]!.trim();
  const jar = m[2]!;
  return { cmd: java, args: (a) => [...QUIET, ...archiveArgs(), ...(boot ? [boot] : []), '-jar', jar, ...a] };
}
