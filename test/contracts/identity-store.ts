import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupRecord, ManagedPolicyRecord, RoleRecord, StoredAccessKey, UserRecord } from '../../src/core/index.js';
import type { IdentityStore } from '../../src/store/index.js';

const role = (roleName: string, extra: Partial<RoleRecord> = {}): RoleRecord => ({
  roleName,
  roleId: `AROA${roleName.toUpperCase()}`,
  arn: `arn:aws:iam::000000000000:role/${roleName}`,
  path: '/',
  createDate: 0,
  assumeRolePolicyDocument: '{}',
  maxSessionDuration: 3600,
  tags: [],
  ...extra,
});

const policy = (policyName: string): ManagedPolicyRecord => ({
  policyName,
  policyId: `ANPA${policyName.toUpperCase()}`,
  arn: `arn:aws:iam::000000000000:policy/${policyName}`,
  path: '/',
  createDate: 0,
  updateDate: 0,
  defaultVersionId: 'v1',
  versions: [{ versionId: 'v1', document: '{}', createDate: 0 }],
  nextVersion: 2,
  tags: [],
});

const user = (userName: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  userName,
  userId: `AIDA${userName.toUpperCase()}`,
  arn: `arn:aws:iam::000000000000:user/${userName}`,
  path: '/',
  createDate: 0,
  tags: [],
  ...extra,
});

const key = (accessKeyId: string, userName: string, createDate: number): StoredAccessKey => ({
  accessKeyId,
  userName,
  status: 'Active',
  createDate,
  sealedSecret: `sealed-${accessKeyId}`,
});

/** What every IdentityStore adapter must do; a fresh, empty instance per test. */
export function identityStoreContract(adapter: string, open: () => Promise<{ store: IdentityStore; close(): Promise<void> }>): void {
  const withStore = (test: (store: IdentityStore) => Promise<void>) => async () => {
    const opened = await open();
    try {
      await test(opened.store);
    } finally {
      await opened.close();
    }
  };

  describe(`IdentityStore contract: ${adapter}`, () => {
    it(
      'a role name is taken regardless of case; lookups ignore case too',
      withStore(async (store) => {
        assert.equal(await store.insertRole(role('Deployer')), true);
        assert.equal(await store.insertRole(role('deployer')), false);
        assert.equal((await store.getRole('DEPLOYER'))?.roleName, 'Deployer');
        assert.equal(await store.getRole('other'), undefined);
      }),
    );
    it(
      'lists by name, replaces a record, deletes once',
      withStore(async (store) => {
        await store.insertRole(role('b'));
        await store.insertRole(role('a'));
        assert.deepEqual(
          (await store.listRoles()).map((r) => r.roleName),
          ['a', 'b'],
        );
        await store.replaceRole(role('a', { assumeRolePolicyDocument: '{"v":2}' }));
        assert.equal((await store.getRole('a'))?.assumeRolePolicyDocument, '{"v":2}');
        assert.equal(await store.deleteRole('a'), true);
        assert.equal(await store.deleteRole('a'), false);
        assert.deepEqual(
          (await store.listRoles()).map((r) => r.roleName),
          ['b'],
        );
      }),
    );
    it(
      'a policy name is taken regardless of case; policies are found by ARN, replaced and deleted',
      withStore(async (store) => {
        assert.equal(await store.insertPolicy(policy('Readers')), true);
        assert.equal(await store.insertPolicy(policy('readers')), false);
        const arn = 'arn:aws:iam::000000000000:policy/Readers';
        assert.equal((await store.getPolicy(arn))?.policyName, 'Readers');
        await store.replacePolicy({ ...policy('Readers'), defaultVersionId: 'v2' });
        assert.equal((await store.getPolicy(arn))?.defaultVersionId, 'v2');
        assert.deepEqual(
          (await store.listPolicies()).map((p) => p.policyName),
          ['Readers'],
        );
        assert.equal(await store.deletePolicy(arn), true);
        assert.equal(await store.getPolicy(arn), undefined);
      }),
    );
    it(
      'a group name is taken regardless of case; groups are listed by name, replaced (members kept) and deleted once',
      withStore(async (store) => {
        const group = (groupName: string, users: string[] = []): GroupRecord => ({
          groupName,
          groupId: `AGPA${groupName.toUpperCase()}`,
          arn: `arn:aws:iam::000000000000:group/${groupName}`,
          path: '/',
          createDate: 0,
          users,
        });
        assert.equal(await store.insertGroup(group('Admins')), true);
        assert.equal(await store.insertGroup(group('admins')), false);
        await store.insertGroup(group('Readers'));
        await store.replaceGroup(group('Admins', ['alice', 'Bob']));
        assert.deepEqual((await store.getGroup('ADMINS'))?.users, ['alice', 'Bob']);
        assert.deepEqual(
          (await store.listGroups()).map((g) => g.groupName),
          ['Admins', 'Readers'],
        );
        assert.equal(await store.deleteGroup('admins'), true);
        assert.equal(await store.deleteGroup('admins'), false);
        assert.equal(await store.getGroup('Admins'), undefined);
      }),
    );
    it(
      'a user name is taken regardless of case; users are listed by name, replaced and deleted once',
      withStore(async (store) => {
        assert.equal(await store.insertUser(user('Alice')), true);
        assert.equal(await store.insertUser(user('alice')), false);
        await store.insertUser(user('Bob'));
        assert.equal((await store.getUser('ALICE'))?.userName, 'Alice');
        await store.replaceUser(user('Alice', { inlinePolicies: { p: '{}' } }));
        assert.deepEqual((await store.getUser('Alice'))?.inlinePolicies, { p: '{}' });
        assert.deepEqual(
          (await store.listUsers()).map((u) => u.userName),
          ['Alice', 'Bob'],
        );
        assert.equal(await store.deleteUser('alice'), true);
        assert.equal(await store.deleteUser('alice'), false);
      }),
    );
    it(
      'access keys are listed oldest first, per user (regardless of case) or all, updated and deleted once',
      withStore(async (store) => {
        await store.insertAccessKey(key('AKIA2', 'Alice', 2));
        await store.insertAccessKey(key('AKIA1', 'Alice', 1));
        await store.insertAccessKey(key('AKIA3', 'Bob', 3));
        assert.deepEqual(
          (await store.listAccessKeys('alice')).map((k) => k.accessKeyId),
          ['AKIA1', 'AKIA2'],
        );
        assert.deepEqual(
          (await store.listAccessKeys()).map((k) => k.accessKeyId),
          ['AKIA1', 'AKIA2', 'AKIA3'],
        );
        await store.replaceAccessKey({ ...key('AKIA1', 'Alice', 1), status: 'Inactive' });
        assert.equal((await store.listAccessKeys('Alice'))[0]?.status, 'Inactive');
        assert.equal(await store.deleteAccessKey('AKIA1'), true);
        assert.equal(await store.deleteAccessKey('AKIA1'), false);
        assert.deepEqual(
          (await store.listAccessKeys('Alice')).map((k) => k.sealedSecret),
          ['sealed-AKIA2'],
        );
      }),
    );
  });
}
