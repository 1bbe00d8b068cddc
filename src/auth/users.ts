import { randomBytes } from 'node:crypto';
import { AwsError, type Clock, type Mutex, type Partition, type StoredAccessKey, type UserRecord } from '../core/index.js';
import type { IdentityStore } from '../store/index.js';
import type { AccessKeyRecord } from './authorize.js';
import { checkIamPath, checkMaxItems, iamValidation, pageByName, randomIamId, type Page } from './iam-names.js';
import { retagged, type TagChange } from './iam-tags.js';
import type { ManagedPolicies } from './managed-policies.js';
import { checkNoPolicies, PolicyHolder } from './policy-holder.js';
import type { SecretBox } from './secret-box.js';

export interface CreateUserInput {
  readonly userName: string;
  readonly path?: string;
  readonly tags?: UserRecord['tags'];
}

/** A new access key: the only time its secret is shown. */
export interface NewAccessKey {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly status: 'Active';
  readonly createDate: number;
}

export type AccessKeyMetadata = Omit<StoredAccessKey, 'sealedSecret'>;

const USER_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM's quota of access keys per user. */
const KEYS_PER_USER = 2;

/**
 * IAM users and their access keys. A key's secret is sealed at rest (SecretBox) and shown once, when
 * the key is created. The front door asks `lookupKey` on every request, so the active keys are also
 * held in memory, open, and kept current by every change made here.
 */
export class Users {
  /** The user's inline and attached policies (PutUserPolicy, AttachUserPolicy, …). */
  readonly permissions: PolicyHolder<UserRecord>;
  /** Active keys by id. */
  readonly #keys = new Map<string, AccessKeyRecord>();

  constructor(
    private readonly store: IdentityStore,
    private readonly partition: Partition,
    private readonly clock: Clock,
    policies: ManagedPolicies,
    private readonly writes: Mutex,
    private readonly secrets: SecretBox,
  ) {
    this.permissions = new PolicyHolder({ noun: 'user', get: (name) => this.get(name), replace: (r) => this.store.replaceUser(r) }, policies, writes);
  }

  /** Reads the active keys into memory; a key sealed under another root key cannot be opened and is left out, with its id returned. */
  async loadKeys(): Promise<string[]> {
    const unreadable: string[] = [];
    this.#keys.clear();
    for (const key of await this.store.listAccessKeys()) {
      if (key.status !== 'Active') continue;
      const user = await this.store.getUser(key.userName);
      if (user === undefined || !this.#remember(key, user)) unreadable.push(key.accessKeyId);
    }
    return unreadable;
  }

  /** The active key with that id: long-term keys carry no session token. */
  lookupKey(accessKeyId: string): AccessKeyRecord | undefined {
    return this.#keys.get(accessKeyId);
  }

  create(input: CreateUserInput): Promise<UserRecord> {
    return this.writes.run(async () => {
      checkName(input.userName);
      const path = checkIamPath(input.path);
      const tags = input.tags ?? [];
      if (tags.length > 50) throw iamValidation('tags', `${tags.length} tags`, 'Member must have length less than or equal to 50');
      const record: UserRecord = {
        userName: input.userName,
        userId: `AIDA${randomIamId(17)}`,
        arn: `arn:aws:iam::${this.partition.accountId}:user${path}${input.userName}`,
        path,
        createDate: this.clock.now(),
        tags,
      };
      if (!(await this.store.insertUser(record))) throw new AwsError('EntityAlreadyExists', `User with name ${input.userName} already exists.`);
      return record;
    });
  }

  async get(userName: string): Promise<UserRecord> {
    checkName(userName);
    const record = await this.store.getUser(userName);
    if (record === undefined) throw new AwsError('NoSuchEntity', `The user with name ${userName} cannot be found.`);
    return record;
  }

  /** Users by name, from after `marker` (a user name), at most `maxItems`. */
  async list(options: { pathPrefix?: string; marker?: string; maxItems?: number }): Promise<Page<UserRecord>> {
    const prefix = options.pathPrefix ?? '/';
    const all = (await this.store.listUsers()).filter((u) => u.path.startsWith(prefix));
    return pageByName(all, (u) => u.userName, options.marker, options.maxItems);
  }

  /** TagUser (`tags` given) or UntagUser (`untag` given). */
  retag(userName: string, change: TagChange): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.get(userName);
      await this.store.replaceUser({ ...record, tags: retagged(record.tags, change) });
    });
  }

  /** Refused while the user has access keys or policies, or while `refuse` throws (it is in a group), as IAM refuses it. */
  delete(userName: string, refuse: (user: UserRecord) => Promise<void> = async () => undefined): Promise<void> {
    return this.writes.run(async () => {
      const record = await this.get(userName);
      await refuse(record);
      if ((await this.store.listAccessKeys(record.userName)).length > 0) {
        throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete access keys first.');
      }
      checkNoPolicies(record);
      await this.store.deleteUser(record.userName);
    });
  }

  createAccessKey(userName: string): Promise<NewAccessKey> {
    return this.writes.run(async () => {
      const user = await this.get(userName);
      if ((await this.store.listAccessKeys(user.userName)).length >= KEYS_PER_USER) {
        throw new AwsError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${KEYS_PER_USER}`);
      }
      const secretAccessKey = randomBytes(30).toString('base64');
      const stored: StoredAccessKey = {
        accessKeyId: `AKIA${randomIamId(16)}`,
        userName: user.userName,
        status: 'Active',
        createDate: this.clock.now(),
        sealedSecret: this.secrets.seal(secretAccessKey),
      };
      await this.store.insertAccessKey(stored);
      this.#remember(stored, user);
      return { userName: user.userName, accessKeyId: stored.accessKeyId, secretAccessKey, status: 'Active', createDate: stored.createDate };
    });
  }

  /** The user's keys, oldest first, without their secrets. */
  async listAccessKeys(userName: string, options: { marker?: string; maxItems?: number }): Promise<Page<AccessKeyMetadata>> {
    const maxItems = checkMaxItems(options.maxItems);
    const user = await this.get(userName);
    const all = (await this.store.listAccessKeys(user.userName)).map(({ sealedSecret: _secret, ...metadata }) => metadata);
    const from = options.marker === undefined ? 0 : all.findIndex((k) => k.accessKeyId === options.marker) + 1;
    const items = all.slice(from, from + maxItems);
    return from + maxItems < all.length ? { items, marker: items[items.length - 1]!.accessKeyId } : { items };
  }

  updateAccessKey(userName: string, accessKeyId: string, status: string): Promise<void> {
    return this.writes.run(async () => {
      if (status !== 'Active' && status !== 'Inactive') throw iamValidation('status', status, 'Member must satisfy enum value set: [Active, Inactive]');
      const { user, key } = await this.#key(userName, accessKeyId);
      await this.store.replaceAccessKey({ ...key, status });
      if (status === 'Active') this.#remember({ ...key, status }, user);
      else this.#keys.delete(accessKeyId);
    });
  }

  deleteAccessKey(userName: string, accessKeyId: string): Promise<void> {
    return this.writes.run(async () => {
      await this.#key(userName, accessKeyId);
      await this.store.deleteAccessKey(accessKeyId);
      this.#keys.delete(accessKeyId);
    });
  }

  /** The user who owns an access key, for requests that name no user (IAM acts on the caller then). */
  ownerOf(accessKeyId: string): string | undefined {
    const identity = this.#keys.get(accessKeyId)?.identity;
    return identity?.kind === 'user' ? identity.userName : undefined;
  }

  async #key(userName: string, accessKeyId: string): Promise<{ user: UserRecord; key: StoredAccessKey }> {
    const user = await this.get(userName);
    const key = (await this.store.listAccessKeys(user.userName)).find((k) => k.accessKeyId === accessKeyId);
    if (key === undefined) throw new AwsError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
    return { user, key };
  }

  #remember(key: StoredAccessKey, user: UserRecord): boolean {
    const secretAccessKey = this.secrets.open(key.sealedSecret);
    if (secretAccessKey === undefined) return false;
    this.#keys.set(key.accessKeyId, {
      secretAccessKey,
      accountId: this.partition.accountId,
      principalArn: user.arn,
      identity: { kind: 'user', userName: user.userName, userId: user.userId },
    });
    return true;
  }
}

function checkName(name: string): void {
  if (!USER_NAME.test(name)) throw iamValidation('userName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}
