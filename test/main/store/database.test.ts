import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../../app/errors.ts';
import {
  migrate,
  openDatabase,
  openStore,
  schemaVersion,
  SCHEMA_VERSION,
  storePath,
  transaction,
  type Migration,
} from '../../../main/store/database.ts';
import { tempHome } from '../../support/store/helpers.ts';

const TABLES = ['accounts', 'drafts', 'folders', 'messages', 'outbox', 'pending_actions', 'schema_version'];

function tables(db: DatabaseSync): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
    .all()
    .map((r) => String(r.name));
}

function hasCode(code: string) {
  return (e: unknown) => e instanceof SealpostError && e.code === code;
}

test('an empty profile gets the whole schema, WAL, foreign keys and a busy timeout', () => {
  const { home, cleanup } = tempHome();
  try {
    const db = openStore(home, { busyTimeoutMs: 4321 });
    try {
      assert.deepEqual(tables(db), TABLES);
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
      assert.equal(db.prepare('PRAGMA foreign_keys').get()?.foreign_keys, 1);
      assert.equal(db.prepare('PRAGMA busy_timeout').get()?.timeout, 4321);
      assert.equal(db.prepare('PRAGMA synchronous').get()?.synchronous, 2, 'FULL');
      const steps = db.prepare('SELECT version, description FROM schema_version ORDER BY version').all();
      assert.equal(steps.length, SCHEMA_VERSION);
    } finally {
      db.close();
    }
    if (process.platform !== 'win32') assert.equal(statSync(storePath(home)).mode & 0o777, 0o600, 'the store is private to the user');
    // Opening again migrates nothing and keeps the data.
    const again = openStore(home);
    try {
      assert.equal(schemaVersion(again), SCHEMA_VERSION);
      assert.equal(again.prepare('SELECT COUNT(*) AS n FROM schema_version').get()?.n, SCHEMA_VERSION);
    } finally {
      again.close();
    }
  } finally {
    cleanup();
  }
});

test('a store from a newer Sealpost is refused with a clear error and left untouched', () => {
  const { home, cleanup } = tempHome();
  try {
    const db = openStore(home);
    try {
      db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
        SCHEMA_VERSION + 5,
        'from the future',
        0,
      );
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    const before = readFileSync(storePath(home));
    assert.throws(
      () => openStore(home),
      (e: unknown) =>
        hasCode('store-newer-schema')(e) && /schema version \d+/.test((e as Error).message) && /update Sealpost/.test((e as Error).message),
    );
    assert.deepEqual(readFileSync(storePath(home)), before);
  } finally {
    cleanup();
  }
});

test('each migration is one transaction: a failing step leaves the previous version intact', () => {
  const db = new DatabaseSync(':memory:');
  try {
    const steps: Migration[] = [
      { version: 1, description: 'one', up: (d) => d.exec('CREATE TABLE a (x INTEGER) STRICT') },
      {
        version: 2,
        description: 'two, broken half way',
        up: (d) => {
          d.exec('CREATE TABLE b (x INTEGER) STRICT; INSERT INTO a VALUES (1);');
          d.exec('THIS IS NOT SQL');
        },
      },
    ];
    assert.throws(() => migrate(db, steps));
    assert.equal(schemaVersion(db), 1);
    assert.deepEqual(tables(db), ['a', 'schema_version']);
    assert.equal(db.prepare('SELECT COUNT(*) AS n FROM a').get()?.n, 0);
    assert.equal(db.isTransaction, false);
    // Fixed, the step applies.
    steps[1] = { version: 2, description: 'two', up: (d) => d.exec('CREATE TABLE b (x INTEGER) STRICT') };
    assert.deepEqual(migrate(db, steps), { from: 1, to: 2 });
    assert.deepEqual(tables(db), ['a', 'b', 'schema_version']);
  } finally {
    db.close();
  }
});

test('a file that is not a Sealpost store is reported, never overwritten', () => {
  const { home, cleanup } = tempHome();
  try {
    const garbage = Buffer.from('this is not an SQLite database, but it is long enough to look like a header..........'.repeat(20));
    writeFileSync(storePath(home), garbage);
    assert.throws(() => openStore(home), hasCode('store-corrupt'));
    assert.deepEqual(readFileSync(storePath(home)), garbage);

    const other = tempHome();
    try {
      const foreign = new DatabaseSync(storePath(other.home));
      foreign.exec('CREATE TABLE notes (body TEXT)');
      foreign.close();
      assert.throws(
        () => openStore(other.home),
        (e: unknown) => hasCode('store-corrupt')(e) && /not a Sealpost mail store/.test((e as Error).message),
      );
    } finally {
      other.cleanup();
    }
  } finally {
    cleanup();
  }
});

test('transaction(): all or nothing, nested calls are savepoints, async bodies are refused', () => {
  const db = openDatabase(':memory:');
  try {
    db.exec('CREATE TABLE t (x INTEGER) STRICT');
    assert.throws(() =>
      transaction(db, () => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        throw new Error('boom');
      }),
    );
    assert.equal(db.prepare('SELECT COUNT(*) AS n FROM t').get()?.n, 0);

    transaction(db, () => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      assert.throws(() =>
        transaction(db, () => {
          db.prepare('INSERT INTO t VALUES (2)').run();
          throw new Error('inner');
        }),
      );
      db.prepare('INSERT INTO t VALUES (3)').run();
    });
    assert.deepEqual(
      db
        .prepare('SELECT x FROM t ORDER BY x')
        .all()
        .map((r) => r.x),
      [1, 3],
    );

    assert.throws(() => transaction(db, async () => undefined), hasCode('internal'));
    assert.equal(db.isTransaction, false);
  } finally {
    db.close();
  }
});
