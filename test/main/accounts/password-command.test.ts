// The password command (main/accounts/password-command.ts) with real shells and
// real child processes: its first line of output is the password, and every way
// a command can fail is one clear, typed error that never carries the output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SealpostError } from '../../../app/errors.ts';
import { runPasswordCommand, validatePasswordCommand } from '../../../main/accounts/password-command.ts';
import { tempDir } from '../../support/cli.ts';

const SECRET = 'pa55 w0rd with spaces';

/** Whether the process runs: a zombie (killed, not reaped, as under a PID 1 that reaps nothing) does not. */
function running(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function failure(command: string, timeoutMs = 10_000): Promise<SealpostError<'account-password-command-failed'>> {
  try {
    await runPasswordCommand(command, { timeoutMs });
  } catch (e) {
    assert.ok(e instanceof SealpostError && e.is('account-password-command-failed'), `unexpected ${String(e)}`);
    assert.ok(!e.message.includes(SECRET), 'the output is never in the error');
    return e;
  }
  assert.fail(`"${command}" gave a password`);
}

test('the first line of standard output is the password, without its line end; spaces and quoting as the shell has them', async () => {
  assert.equal(await runPasswordCommand(`printf '%s\\n' '${SECRET}'`), SECRET);
  assert.equal(await runPasswordCommand(`printf '%s\\r\\nsecond line\\n' '${SECRET}'`), SECRET);
  assert.equal(await runPasswordCommand(`printf '%s' '${SECRET}'`), SECRET, 'no line end at all');
  assert.equal(await runPasswordCommand(`echo "$(printf ab)cd"`), 'abcd', 'a shell command line, with substitutions');
  // What the command writes on standard error is not part of the password.
  assert.equal(await runPasswordCommand(`echo 'gpg: decrypting' >&2; echo '${SECRET}'`), SECRET);
});

test('it runs each time it is called: nothing is kept between calls', async () => {
  const dir = await tempDir();
  try {
    const file = join(dir.path, 'pw');
    writeFileSync(file, 'first\n');
    assert.equal(await runPasswordCommand(`cat '${file}'`), 'first');
    writeFileSync(file, 'second\n');
    assert.equal(await runPasswordCommand(`cat '${file}'`), 'second');
  } finally {
    await dir.cleanup();
  }
});

test('standard input is closed: a command that reads it gets end of file at once, not a hang', async () => {
  const e = await failure('cat');
  assert.equal(e.details.exitCode, 0);
  assert.match(e.message, /it printed no password/);
});

test('a failing command: its exit status and the first line it wrote on standard error, not its output', async () => {
  const e = await failure(`echo '${SECRET}'; echo 'gpg: decryption failed: No secret key' >&2; echo 'more' >&2; exit 2`);
  assert.deepEqual(e.details, { exitCode: 2, signal: null, timedOut: false, spawnError: null });
  assert.equal(e.message, "The account's password command failed: exit status 2: gpg: decryption failed: No secret key");

  const missing = await failure('/nonexistent/pass-tool show mail');
  assert.equal(missing.details.exitCode, 127, 'the shell could not find it');
  assert.match(missing.message, /failed: exit status 127: .*not found/);

  const killed = await failure('kill -TERM $$');
  assert.equal(killed.details.signal, 'SIGTERM');
  assert.match(killed.message, /stopped by SIGTERM/);
});

test('no password, or output that is not one: refused', async () => {
  assert.match((await failure('true')).message, /it printed no password/);
  assert.match((await failure(`printf '\\n%s\\n' '${SECRET}'`)).message, /it printed no password/, 'the first line is the password');
  assert.match((await failure(`head -c 5000 /dev/zero | tr '\\0' a`)).message, /not a password of at most 4096/);
  assert.match((await failure('yes')).message, /printed more than a password/, 'endless output is stopped');
});

test('a command that does not finish is stopped with what it started, within the limit', async () => {
  const dir = await tempDir();
  try {
    const pidFile = join(dir.path, 'pid');
    const started = Date.now();
    const e = await failure(`sleep 60 & echo $! > '${pidFile}'; wait`, 500);
    assert.ok(Date.now() - started < 10_000, 'returned soon after the limit');
    assert.equal(e.details.timedOut, true);
    assert.match(e.message, /it did not finish within 1 s/);
    assert.ok(existsSync(pidFile));
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    // The background child of the shell went with it (its process group was stopped).
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = running(pid);
      if (alive) await sleep(20);
    }
    assert.equal(alive, false, `process ${pid} still runs`);
  } finally {
    await dir.cleanup();
  }
});

test('a command line is checked before it is kept: one line, not empty', () => {
  assert.equal(validatePasswordCommand('  pass show mail/work  '), 'pass show mail/work');
  for (const bad of ['', '   ', 'pass show\nrm -rf ~', 'a\0b', 'x'.repeat(5000)]) {
    assert.throws(
      () => validatePasswordCommand(bad),
      (e: unknown) => e instanceof SealpostError && e.code === 'bad-input',
    );
  }
});
