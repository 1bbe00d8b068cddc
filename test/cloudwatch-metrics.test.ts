import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  type GetMetricStatisticsCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { fromQuery } from '../src/api/cloudwatch.js';
import { LAMBDA_METRICS, periodsOf, statisticOf } from '../src/api/cloudwatch-statistics.js';
import { addDuration, emptyStats, MINUTE_MS, type MetricMinute } from '../src/metering/index.js';
import { waitFor } from './support/async.js';
import { AWS_CLI, awsCliEnv } from './support/aws-cli.js';
import { ROLE, startPlatform, type TestPlatform } from './support/platform.js';
import { nodeZip } from './support/zip.js';

const run = promisify(execFile);

/** Sleeps as long as the event asks, then throws when it says so. */
const HANDLER = `exports.handler = async (e) => {
  await new Promise((resolve) => setTimeout(resolve, e.sleepMs ?? 0));
  if (e.fail) throw new Error('asked to fail');
  return 'ok';
};`;
const SLEEP_MS = 120;
/** Invocations of `measured`: three succeed (one sleeping SLEEP_MS), two throw. */
const EVENTS = [{ sleepMs: SLEEP_MS }, {}, {}, { fail: true }, { fail: true }];

const hasAwsCli = await run(AWS_CLI, ['--version']).then(
  () => true,
  () => false,
);
const hasBoto3 = await run('python3', ['-c', 'import boto3']).then(
  () => true,
  () => false,
);

describe('CloudWatch metrics API (AWS/Lambda) over the per-minute figures', () => {
  let t: TestPlatform;
  let cw: CloudWatchClient;
  const clients: Array<{ destroy(): void }> = [];
  /** A window holding the current minute, whenever the invocations landed: one datapoint a Period of an hour. */
  const window = () => ({ StartTime: new Date(Date.now() - 10 * MINUTE_MS), EndTime: new Date(Date.now() + MINUTE_MS) });
  const stats = (input: Partial<GetMetricStatisticsCommandInput>) =>
    cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: 'measured' }],
        Period: 3600,
        ...window(),
        ...input,
      } as GetMetricStatisticsCommandInput),
    );
  const env = () => ({ ...awsCliEnv(t.platform), AWS_MAX_ATTEMPTS: '1' });
  const rejectsWith = (promise: Promise<unknown>, name: string, code: string, message: string | RegExp) =>
    assert.rejects(promise, (error: Error & { Code?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.name, name);
      assert.equal(error.Code, code, 'the Query code, from x-amzn-query-error');
      assert.equal(error.$metadata?.httpStatusCode, 400);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    });

  before(async () => {
    t = await startPlatform();
    cw = new CloudWatchClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey, maxAttempts: 1 });
    clients.push(cw);
    const ZipFile = await nodeZip(HANDLER);
    for (const name of ['measured', 'idle']) {
      await t.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile } }));
    }
    for (const event of EVENTS) await t.client.send(new InvokeCommand({ FunctionName: 'measured', Payload: Buffer.from(JSON.stringify(event)) }));
    // The invocation's figures are counted as its REPORT is written, which may follow its response.
    await waitFor('the five invocations counted', async () => {
      const { Datapoints } = await stats({ Statistics: ['SampleCount'] });
      return Datapoints?.[0]?.SampleCount === EVENTS.length ? true : undefined;
    });
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await t.stop();
  });

  it('answers GetMetricStatistics (SDK v3, AWS JSON 1.0) with what was invoked: counts, error rate, durations', async () => {
    const invocations = await stats({ Statistics: ['Sum', 'SampleCount', 'Average'] });
    assert.equal(invocations.Label, 'Invocations');
    assert.equal(invocations.Datapoints!.length, 1);
    const [point] = invocations.Datapoints!;
    assert.deepEqual(
      { Sum: point!.Sum, SampleCount: point!.SampleCount, Average: point!.Average, Unit: point!.Unit },
      { Sum: 5, SampleCount: 5, Average: 1, Unit: 'Count' },
    );
    assert.ok(point!.Timestamp instanceof Date && point!.Timestamp.getTime() <= Date.now(), String(point!.Timestamp));

    const errors = (await stats({ MetricName: 'Errors', Statistics: ['Sum', 'Average', 'Minimum', 'Maximum'] })).Datapoints![0]!;
    assert.deepEqual([errors.Sum, errors.Average, errors.Minimum, errors.Maximum, errors.Unit], [2, 2 / 5, 0, 1, 'Count']);

    const duration = (await stats({ MetricName: 'Duration', Statistics: ['Average', 'Maximum', 'Minimum', 'Sum'], ExtendedStatistics: ['p99', 'p50'] }))
      .Datapoints![0]!;
    assert.equal(duration.Unit, 'Milliseconds');
    const p99 = duration.ExtendedStatistics!.p99!;
    const p50 = duration.ExtendedStatistics!.p50!;
    assert.ok(duration.Maximum! >= SLEEP_MS, `Maximum ${duration.Maximum} is at least the ${SLEEP_MS} ms one invocation slept`);
    assert.ok(duration.Minimum! > 0 && duration.Minimum! <= p50 && p50 <= p99 && p99 <= duration.Maximum!, JSON.stringify(duration));
    assert.ok(Math.abs(duration.Average! - duration.Sum! / 5) < 1e-9 && duration.Average! > duration.Minimum!, JSON.stringify(duration));

    // The account-wide metric (no dimension) holds the same invocations, as only `measured` ran.
    const account = await stats({ Dimensions: [], Statistics: ['Sum'] });
    assert.equal(account.Datapoints![0]!.Sum, 5);
  });

  it('answers no datapoints where CloudWatch holds none: an idle function, another namespace, another unit, a metric Lambda does not publish', async () => {
    for (const input of [
      { Dimensions: [{ Name: 'FunctionName', Value: 'idle' }] },
      { Namespace: 'AWS/EC2' },
      { Unit: 'Seconds' as const },
      { MetricName: 'NoSuchMetric' },
      { Dimensions: [{ Name: 'Resource', Value: 'measured:prod' }] },
    ]) {
      const { Datapoints } = await stats({ Statistics: ['Sum'], ...input });
      assert.deepEqual(Datapoints, [], JSON.stringify(input));
    }
    // A percentile is a Duration statistic only: a count's datapoint comes without one.
    const { Datapoints } = await stats({ ExtendedStatistics: ['p99'] });
    assert.deepEqual(Object.keys(Datapoints![0]!).sort(), ['Timestamp', 'Unit']);
  });

  it('answers GetMetricData with a result per query, newest first, and refuses metric math', async () => {
    const metric = (MetricName: string) => ({ Namespace: 'AWS/Lambda', MetricName, Dimensions: [{ Name: 'FunctionName', Value: 'measured' }] });
    const data = await cw.send(
      new GetMetricDataCommand({
        ...window(),
        MetricDataQueries: [
          { Id: 'invocations', MetricStat: { Metric: metric('Invocations'), Period: 60, Stat: 'Sum' } },
          { Id: 'errors', Label: 'Failures', MetricStat: { Metric: metric('Errors'), Period: 60, Stat: 'Sum' } },
          { Id: 'hidden', ReturnData: false, MetricStat: { Metric: metric('Errors'), Period: 60, Stat: 'Sum' } },
        ],
      }),
    );
    assert.deepEqual(data.Messages, []);
    assert.deepEqual(
      data.MetricDataResults!.map((r) => [r.Id, r.Label, r.StatusCode]),
      [
        ['invocations', 'Invocations', 'Complete'],
        ['errors', 'Failures', 'Complete'],
      ],
    );
    const [invocations, errors] = data.MetricDataResults!;
    const sum = (values: number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
    // The invocations may straddle a minute: per-minute values add up to what ran.
    assert.equal(sum(invocations!.Values), 5);
    assert.equal(sum(errors!.Values), 2);
    assert.equal(invocations!.Timestamps!.length, invocations!.Values!.length);
    const times = invocations!.Timestamps!.map((d) => d.getTime());
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'TimestampDescending by default',
    );
    assert.ok(times.every((ms) => ms % MINUTE_MS === 0));

    // MaxDatapoints caps a page's points across the queries; NextToken carries on where it stopped.
    const paged = {
      ...window(),
      MaxDatapoints: 1,
      MetricDataQueries: [
        { Id: 'slowest', MetricStat: { Metric: metric('Duration'), Period: 3600, Stat: 'p99' } },
        { Id: 'calls', MetricStat: { Metric: metric('Invocations'), Period: 3600, Stat: 'SampleCount' } },
      ],
    };
    const first = await cw.send(new GetMetricDataCommand(paged));
    assert.deepEqual(
      first.MetricDataResults!.map((r) => [r.Id, r.Values!.length, r.StatusCode]),
      [
        ['slowest', 1, 'Complete'],
        ['calls', 0, 'PartialData'],
      ],
    );
    assert.ok(first.MetricDataResults![0]!.Values![0]! >= SLEEP_MS);
    const second = await cw.send(new GetMetricDataCommand({ ...paged, NextToken: first.NextToken }));
    assert.deepEqual(
      second.MetricDataResults!.map((r) => [r.Id, r.Values, r.StatusCode]),
      [
        ['slowest', [], 'Complete'],
        ['calls', [5], 'Complete'],
      ],
    );
    assert.equal(second.NextToken, undefined);

    await rejectsWith(
      cw.send(new GetMetricDataCommand({ ...window(), MetricDataQueries: [{ Id: 'total', Expression: 'SUM(METRICS())' }] })),
      'InvalidParameterValueException',
      'InvalidParameterValue',
      /Expression: metric math .* not supported by selfless/,
    );
  });

  it('lists a metric per standard name for each function with figures, and the account-wide ones', async () => {
    const { Metrics } = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/Lambda' }));
    const seen = Metrics!.map((m) => `${m.MetricName}/${m.Dimensions!.map((d) => `${d.Name}=${d.Value}`).join(',')}`);
    const names = ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions', 'IteratorAge'];
    assert.deepEqual(seen.sort(), [...names.map((n) => `${n}/`), ...names.map((n) => `${n}/FunctionName=measured`)].sort(), 'idle has no figures: not listed');
    const filtered = await cw.send(new ListMetricsCommand({ MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName' }] }));
    assert.deepEqual(filtered.Metrics, [{ Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName', Value: 'measured' }] }]);
    assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: 'AWS/EC2' }))).Metrics, []);
  });

  it("refuses bad input with CloudWatch's codes, HTTP 400", async () => {
    await rejectsWith(
      stats({ Period: 90, Statistics: ['Sum'] }),
      'InvalidParameterValueException',
      'InvalidParameterValue',
      'The parameter Period must be a multiple of 60.',
    );
    await rejectsWith(
      stats({ StartTime: new Date(), EndTime: new Date(Date.now() - 3_600_000), Statistics: ['Sum'] }),
      'InvalidParameterValueException',
      'InvalidParameterValue',
      'The parameter StartTime must be less than the parameter EndTime.',
    );
    await rejectsWith(
      stats({ MetricName: undefined, Statistics: ['Sum'] }),
      'MissingRequiredParameterException',
      'MissingParameter',
      'The parameter MetricName is required.',
    );
    await rejectsWith(stats({}), 'InvalidParameterCombinationException', 'InvalidParameterCombination', 'Must specify either Statistics or ExtendedStatistics');
    await rejectsWith(
      stats({ Period: 60, StartTime: new Date(Date.now() - 2 * 86_400_000), Statistics: ['Sum'] }),
      'InvalidParameterCombinationException',
      'InvalidParameterCombination',
      /^You have requested up to 28\d\d datapoints, which exceeds the limit of 1440\./,
    );
  });

  it('refuses an unsigned request, a bad signature, and a caller whose policies do not allow cloudwatch:<Operation>', async () => {
    const unsigned = await fetch(`${t.platform.url}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'GraniteServiceVersion20100801.ListMetrics' },
      body: '{}',
    });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    await unsigned.arrayBuffer();

    const forged = new CloudWatchClient({
      endpoint: t.platform.url,
      region: t.platform.config.region,
      credentials: { ...t.platform.rootKey, secretAccessKey: 'not-the-secret' },
      maxAttempts: 1,
    });
    clients.push(forged);
    await assert.rejects(forged.send(new ListMetricsCommand({})), (error: Error & { Code?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.$metadata?.httpStatusCode, 403);
      assert.equal(error.Code, 'SignatureDoesNotMatch');
      return true;
    });

    const iam = new IAMClient({ endpoint: t.platform.url, region: t.platform.config.region, credentials: t.platform.rootKey, maxAttempts: 1 });
    clients.push(iam);
    await iam.send(new CreateUserCommand({ UserName: 'reader' }));
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudwatch:GetMetricStatistics', Resource: '*' }] };
    await iam.send(new PutUserPolicyCommand({ UserName: 'reader', PolicyName: 'stats', PolicyDocument: JSON.stringify(policy) }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'reader' }));
    const reader = new CloudWatchClient({
      endpoint: t.platform.url,
      region: t.platform.config.region,
      credentials: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! },
      maxAttempts: 1,
    });
    clients.push(reader);
    const allowed = await reader.send(
      new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: 3600, Statistics: ['Sum'], ...window() }),
    );
    assert.equal(allowed.Datapoints![0]!.Sum, 5);
    await assert.rejects(reader.send(new ListMetricsCommand({})), (error: Error & { Code?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.$metadata?.httpStatusCode, 403);
      assert.equal(error.Code, 'AccessDenied');
      assert.match(error.message, /is not authorized to perform: cloudwatch:ListMetrics on resource: \*/);
      return true;
    });
  });

  it('works with boto3 (AWS JSON 1.0)', { skip: hasBoto3 ? false : 'python3 with boto3 is not installed' }, async () => {
    const script = `
import boto3, datetime, json, sys
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client('cloudwatch', endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], config=Config(retries={'max_attempts': 1}))
now = datetime.datetime.now(datetime.timezone.utc)
window = dict(StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1))
dims = [{'Name': 'FunctionName', 'Value': 'measured'}]
point = c.get_metric_statistics(Namespace='AWS/Lambda', MetricName='Errors', Dimensions=dims, Period=3600, Statistics=['Sum', 'SampleCount'], **window)['Datapoints'][0]
data = c.get_metric_data(MetricDataQueries=[{'Id': 'd', 'MetricStat': {'Metric': {'Namespace': 'AWS/Lambda', 'MetricName': 'Duration', 'Dimensions': dims}, 'Period': 3600, 'Stat': 'Maximum'}}], **window)
try:
    c.get_metric_statistics(Namespace='AWS/Lambda', MetricName='Errors', Period=61, Statistics=['Sum'], **window)
    error = None
except ClientError as e:
    error = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps({'sum': point['Sum'], 'samples': point['SampleCount'], 'unit': point['Unit'], 'max': data['MetricDataResults'][0]['Values'][0], 'metrics': len(c.list_metrics()['Metrics']), 'error': error}))
`;
    const { rootKey, url, config } = t.platform;
    const { stdout } = await run('python3', ['-c', script, url, config.region, rootKey.accessKeyId, rootKey.secretAccessKey], { timeout: 120_000 });
    const out = JSON.parse(stdout) as { sum: number; samples: number; unit: string; max: number; metrics: number; error: unknown };
    assert.deepEqual({ ...out, max: undefined }, { sum: 2, samples: 5, unit: 'Count', max: undefined, metrics: 12, error: ['InvalidParameterValue', 400] });
    assert.ok(out.max >= SLEEP_MS);
  });

  it(
    'works with the AWS CLI (the Query protocol, XML answers)',
    { skip: hasAwsCli ? false : `the AWS CLI is not installed at ${AWS_CLI} (apt-get install -y awscli)` },
    async () => {
      const cli = async (...args: string[]) =>
        JSON.parse((await run(AWS_CLI, ['--endpoint-url', t.platform.url, '--output', 'json', 'cloudwatch', ...args], { env: env() })).stdout || '{}');
      const { StartTime, EndTime } = window();
      const times = ['--start-time', StartTime.toISOString(), '--end-time', EndTime.toISOString()];
      const got = await cli(
        'get-metric-statistics',
        '--namespace',
        'AWS/Lambda',
        '--metric-name',
        'Duration',
        '--dimensions',
        'Name=FunctionName,Value=measured',
        '--period',
        '3600',
        '--statistics',
        'SampleCount',
        'Maximum',
        '--extended-statistics',
        'p99',
        ...times,
      );
      assert.equal(got.Label, 'Duration');
      const [point] = got.Datapoints;
      assert.equal(point.SampleCount, 5);
      assert.equal(point.Unit, 'Milliseconds');
      assert.ok(point.Maximum >= SLEEP_MS && point.ExtendedStatistics.p99 <= point.Maximum, JSON.stringify(point));

      const queries = JSON.stringify([
        { Id: 'calls', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' }, Period: 3600, Stat: 'Sum' } },
        { Id: 'failed', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Period: 3600, Stat: 'Sum' } },
      ]);
      const data = await cli('get-metric-data', '--metric-data-queries', queries, ...times);
      assert.deepEqual(
        data.MetricDataResults.map((r: { Id: string; Values: number[] }) => [r.Id, r.Values]),
        [
          ['calls', [5]],
          ['failed', [2]],
        ],
      );
      const listed = await cli('list-metrics', '--namespace', 'AWS/Lambda', '--dimensions', 'Name=FunctionName,Value=measured');
      assert.equal(listed.Metrics.length, 6);

      const refused = await cli(
        'get-metric-statistics',
        '--namespace',
        'AWS/Lambda',
        '--metric-name',
        'Errors',
        '--period',
        '59',
        '--statistics',
        'Sum',
        ...times,
      ).catch((error: { stderr: string }) => error.stderr);
      assert.match(refused, /\(InvalidParameterValue\) when calling the GetMetricStatistics operation.*?: The parameter Period must be a multiple of 60\./);
      const forged = await run(AWS_CLI, ['--endpoint-url', t.platform.url, 'cloudwatch', 'list-metrics'], {
        env: { ...env(), AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      }).catch((error: { stderr: string }) => error.stderr);
      assert.match(String(forged), /\(SignatureDoesNotMatch\) when calling the ListMetrics operation/);
    },
  );
});

describe('CloudWatch statistics of per-minute figures', () => {
  const START = Date.parse('2026-06-01T10:00:00Z');
  const minute = (offset: number, fill: (m: ReturnType<typeof emptyStats>) => void): MetricMinute => {
    const stats = emptyStats();
    fill(stats);
    return { functionName: 'f', minuteMs: START + offset * MINUTE_MS, stats };
  };

  it('treats each minute’s concurrency maximum as a sample, and merges counts and durations over a period', () => {
    const minutes = [
      minute(0, (m) => {
        m.concurrencyMax = 2;
        m.invocations = 2;
        m.errors = 1;
        addDuration(m, 10);
        addDuration(m, 30);
      }),
      minute(1, (m) => {
        m.concurrencyMax = 4;
        m.invocations = 1;
        m.throttles = 3;
        addDuration(m, 20);
      }),
      minute(7, (m) => {
        m.concurrencyMax = 1;
        m.invocations = 1;
        addDuration(m, 5);
      }),
    ];
    const [first, second] = periodsOf(LAMBDA_METRICS.ConcurrentExecutions!, minutes, START, 5 * MINUTE_MS);
    assert.equal(first!.startMs, START);
    assert.deepEqual(
      ['SampleCount', 'Maximum', 'Minimum', 'Average'].map((s) => statisticOf(first!.summary, s)),
      [2, 4, 2, 3],
    );
    assert.equal(second!.startMs, START + 5 * MINUTE_MS);
    const [duration] = periodsOf(LAMBDA_METRICS.Duration!, minutes, START, 5 * MINUTE_MS);
    assert.deepEqual(
      ['SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average', 'p100'].map((s) => statisticOf(duration!.summary, s)),
      [3, 60, 10, 30, 20, 30],
    );
    // Lower percentiles come from the histogram's buckets, within 1 %.
    const p50 = statisticOf(duration!.summary, 'p50')!;
    assert.ok(Math.abs(p50 - 20) / 20 <= 0.01, `p50 read as ${p50}`);
    assert.equal(statisticOf(periodsOf(LAMBDA_METRICS.Invocations!, minutes, START, 5 * MINUTE_MS)[0]!.summary, 'p99'), undefined, 'no percentiles of a count');
    const [throttles] = periodsOf(LAMBDA_METRICS.Throttles!, minutes, START, 5 * MINUTE_MS);
    assert.deepEqual(
      ['Sum', 'SampleCount', 'Average'].map((s) => statisticOf(throttles!.summary, s)),
      [3, 6, 0.5],
    );
    assert.deepEqual(periodsOf(LAMBDA_METRICS.IteratorAge!, minutes, START, 5 * MINUTE_MS), [], 'no stream records: no IteratorAge');
  });

  it('reads a Query request as the document AWS JSON would carry, lists in order of their index', () => {
    const doc = fromQuery(
      new URLSearchParams(
        'Action=GetMetricData&Version=2010-08-01&MetricDataQueries.member.2.Id=b&MetricDataQueries.member.1.Id=a' +
          '&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name=FunctionName&Statistics.member.2=Sum&Statistics.member.1=Average&__proto__.x=1',
      ),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), {
      MetricDataQueries: [{ Id: 'a', MetricStat: { Metric: { Dimensions: [{ Name: 'FunctionName' }] } } }, { Id: 'b' }],
      Statistics: ['Average', 'Sum'],
      ['__proto__']: { x: '1' },
    });
    assert.equal(({} as Record<string, unknown>).x, undefined, 'nothing reaches Object.prototype');
  });
});
