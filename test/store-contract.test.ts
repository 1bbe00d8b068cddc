import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/index.js';
import { controlStoreContract, failedEventStoreContract } from './contracts/control-store.js';
import { identityStoreContract } from './contracts/identity-store.js';

const openSqlite = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selfless-contract-'));
  const store = new SqliteStore(join(dir, 'selfless.db'));
  return {
    store,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

controlStoreContract('SQLite', openSqlite);
failedEventStoreContract('SQLite', openSqlite);
identityStoreContract('SQLite', openSqlite);
