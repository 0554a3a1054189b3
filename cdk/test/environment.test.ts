import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ConnectorConfig } from '../lib';
import keyTable from '../lib/keys.json';
import { CONFIGS, environment, mskSink, newStack } from './helpers';

const KNOWN = new Set(keyTable.keys.map((k) => k.name));

/** The key a per-key variable sets, by the crate's rule (`raw_config::source::key_for_env_var`). */
const keyOf = (variable: string) => variable.replace(/^S3_SINK_/, '').toLowerCase().replace(/_/g, '.');

function usersTimeBased() {
  const stack = newStack();
  return mskSink(
    {
      connectorConfig: ConnectorConfig.fromFile(path.join(CONFIGS, 'orders-timebased.json')),
      bucket: s3.Bucket.fromBucketName(stack, 'Data', 'kafka-sink-data'),
    },
    stack,
  );
}

describe('the function gets the sink configuration and nothing else', () => {
  test('the users\' TimeBased config: owned keys as variables, the rest as S3_SINK_CONFIG', () => {
    const { template } = usersTimeBased();
    const env = environment(template);
    expect(Object.keys(env).sort()).toEqual([
      'S3_SINK_CONFIG',
      'S3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE',
      'S3_SINK_S3_BUCKET_NAME',
      'S3_SINK_TOPICS_DIR',
    ]);
    expect(env.S3_SINK_S3_BUCKET_NAME).toBe('kafka-sink-data');
    expect(env.S3_SINK_TOPICS_DIR).toBe('topics');
    expect(env.S3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE).toBe('true');
    expect(JSON.parse(env.S3_SINK_CONFIG as string)).toEqual({
      'flush.size': '1',
      topics: 'orders',
      's3.region': 'ap-northeast-2',
      'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
      'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'partitioner.class': 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
      'timestamp.extractor': 'RecordField',
      'timestamp.field': 'dt',
      'timestamp.parser': 'yyyy-MM-dd',
      'path.format': "'year'=YYYY/'month'=MM/'day'=dd",
      'partition.duration.ms': '86400000',
      locale: 'ko_KR',
      timezone: 'Asia/Seoul',
      'rotate.schedule.interval.ms': '60000',
    });
  });

  test('every variable is S3_SINK_CONFIG or names a key the sink knows; every key in S3_SINK_CONFIG is known or open', () => {
    for (const file of ['orders-timebased.json', 'orders-default.json', 'orders-field.json', 'dbserver-customers.json', 'salesdb-customer.properties']) {
      const stack = newStack();
      const { template } = mskSink(
        {
          connectorConfig: ConnectorConfig.fromFile(path.join(CONFIGS, file)),
          bucket: s3.Bucket.fromBucketName(stack, 'Data', 'kafka-sink-data'),
        },
        stack,
      );
      const env = environment(template);
      for (const name of Object.keys(env)) {
        expect(name).toMatch(/^S3_SINK_/);
        if (name !== 'S3_SINK_CONFIG') expect({ file, name, known: KNOWN.has(keyOf(name)) }).toEqual({ file, name, known: true });
      }
      const open = keyTable.openPrefixes;
      for (const key of Object.keys(JSON.parse((env.S3_SINK_CONFIG as string) ?? '{}'))) {
        const ok = KNOWN.has(key) || open.some((p) => key.startsWith(p) || key === p.slice(0, -1));
        expect({ file, key, ok }).toEqual({ file, key, ok: true });
        expect(keyTable.keys.find((k) => k.name === key)?.role).not.toBe('ignored');
      }
    }
  });

  test('ignored keys are left out with a warning that names them', () => {
    const { stack } = usersTimeBased();
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Sink', Match.stringLikeRegexp('"aws.secret.access.key" is accepted and ignored \\(credentials come from'));
    annotations.hasWarning('/Test/Sink', Match.stringLikeRegexp('"tasks.max" is accepted and ignored'));
    // The bucket given is the one the config names: nothing replaced.
    annotations.hasNoWarning('/Test/Sink', Match.stringLikeRegexp('s3.bucket.name'));
  });

  test('a placeholder credential value gets no secret warning; a real-looking one does', () => {
    const { stack } = mskSink({
      connectorConfig: ConnectorConfig.fromObject({ 'flush.size': 1, topics: 'orders', 'aws.secret.access.key': 'dummy-not-a-key' }),
    });
    Annotations.fromStack(stack).hasWarning('/Test/Sink', Match.stringLikeRegexp('Its value is a secret: remove it from the config'));
  });

  test('the bucket and topics.dir always come from the construct (the IAM policy is scoped to them)', () => {
    const { template, stack } = mskSink({
      connectorConfig: ConnectorConfig.fromObject({ 'flush.size': 1, topics: 'orders', 's3.bucket.name': 'elsewhere', 'topics.dir': 'raw/kafka' }),
    });
    const env = environment(template);
    expect(env.S3_SINK_S3_BUCKET_NAME).toEqual({ Ref: expect.stringMatching(/^SinkBucket/) });
    expect(env.S3_SINK_TOPICS_DIR).toBe('raw/kafka');
    expect(JSON.parse(env.S3_SINK_CONFIG as string)).toEqual({ 'flush.size': '1', topics: 'orders' });
    Annotations.fromStack(stack).hasWarning('/Test/Sink', Match.stringLikeRegexp('s3.bucket.name "elsewhere" of the config is replaced by the new bucket'));
  });

  test('a new bucket: the config\'s s3.region is left out, the function uses its own region', () => {
    const { template, stack } = mskSink({ connectorConfig: ConnectorConfig.fromObject({ 'flush.size': 1, topics: 'orders', 's3.region': 'ap-northeast-2' }) });
    expect(JSON.parse(environment(template).S3_SINK_CONFIG as string)).toEqual({ 'flush.size': '1', topics: 'orders' });
    Annotations.fromStack(stack).hasWarning('/Test/Sink', Match.stringLikeRegexp('s3.region "ap-northeast-2" of the config is left out'));
  });

  test('logs: JSON at INFO, in the sink\'s own log group', () => {
    const { template } = mskSink();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Architectures: ['arm64'],
      Handler: 'bootstrap',
      MemorySize: 1024,
      Timeout: 300,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', LogGroup: { Ref: Match.stringLikeRegexp('^SinkLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});
