import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * Per-source overrides of where a source is and which credentials reach it, for users with sources in
 * several places: a JSON file (`SELFLESS_SOURCES_FILE`, default `<data dir>/sources.json`), its entries
 * tried in order, the first whose `match` (an ARN with `*` wildcards) fits a source's ARN wins. What an
 * entry leaves out comes from the server's standard AWS configuration.
 *
 *   { "sources": [
 *       { "match": "arn:aws:sqs:us-east-1:000000000000:*", "endpoint": "http://localhost:9324" },
 *       { "match": "arn:aws:sqs:eu-west-1:*", "profile": "staging" } ] }
 */
const overrideSchema = z
  .object({
    match: z.string().min(1),
    endpoint: z.url().optional(),
    /** A profile of the shared config and credentials files. */
    profile: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => (o.accessKeyId === undefined) === (o.secretAccessKey === undefined), { message: 'accessKeyId and secretAccessKey go together' })
  .refine((o) => o.profile === undefined || o.accessKeyId === undefined, { message: 'a profile or keys, not both' });
const fileSchema = z.object({ sources: z.array(overrideSchema) }).strict();

export type SourceOverride = z.infer<typeof overrideSchema>;

/** The overrides in `file`; none when it does not exist. A file that does not parse stops the start, with the reason. */
export async function loadSourceOverrides(file: string): Promise<SourceOverride[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.sources;
}

/** The first override whose pattern fits the ARN. */
export function overrideFor(overrides: readonly SourceOverride[], arn: string): { override: SourceOverride; index: number } | undefined {
  const index = overrides.findIndex((o) => arnPattern(o.match).test(arn));
  return index < 0 ? undefined : { override: overrides[index]!, index };
}

function arnPattern(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
  );
}
