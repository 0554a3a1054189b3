import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { ConnectorConfig, KafkaAuthentication, KafkaS3Sink, KafkaSource, SinkCode } from '../lib';
import { bootstrapDir, mskSink, SECRET_ARN, statements } from './helpers';

const config = (c: Record<string, string | number>) => ConnectorConfig.fromObject(c);

describe('synth-time refusals name the prop or key', () => {
  test('Queue consumption mode (share groups) is refused, however it is set', () => {
    const { sink, stack } = mskSink();
    const cfn = sink.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
    cfn.addPropertyOverride('AmazonManagedKafkaEventSourceConfig.ConsumptionMode', 'Queue');
    expect(() => Template.fromStack(stack)).toThrow(/ConsumptionMode Queue \(Kafka share groups\), which gives up per-partition order/);
  });

  test('Queue mode through the L1 property on a self-managed mapping is refused too; Stream passes', () => {
    const build = (mode: string) => {
      const stack = new Stack(new App(), 'S');
      const sink = new KafkaS3Sink(stack, 'Sink', {
        kafka: KafkaSource.selfManaged({
          bootstrapServers: ['kafka-1.example.com:9096'],
          authentication: KafkaAuthentication.saslScram512(secretsmanager.Secret.fromSecretCompleteArn(stack, 'S', SECRET_ARN)),
        }),
        connectorConfig: config({ 'flush.size': 1, topics: 'orders' }),
        code: SinkCode.fromBootstrapDirectory(bootstrapDir()),
      });
      const cfn = sink.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
      cfn.selfManagedKafkaEventSourceConfig = { consumptionMode: mode };
      return Template.fromStack(stack);
    };
    expect(() => build('Queue')).toThrow(/ConsumptionMode Queue/);
    expect(() => build('Stream')).not.toThrow();
  });

  test('unknown keys fail the synth with every bad key listed', () => {
    expect(() => mskSink({ connectorConfig: config({ 'flush.sise': 1, topics: 'orders', 'partitioner.clas': 'x' }) })).toThrow(
      /unknown key "flush.sise" \(did you mean "flush.size"\?\)[\s\S]*unknown key "partitioner.clas" \(did you mean "partitioner.class"\?\)/,
    );
  });

  test('the topic: from the config when it names one, else required, and among the config\'s topics', () => {
    expect(mskSink({ connectorConfig: config({ 'flush.size': 1, topics: ' orders ' }) }).sink.topic).toBe('orders');
    expect(() => mskSink({ connectorConfig: config({ 'flush.size': 1 }) })).toThrow(/topic: required when the config names no single topic/);
    expect(() => mskSink({ connectorConfig: config({ 'flush.size': 1, topics: 'a,b' }) })).toThrow(/names 2 topics; a mapping reads one/);
    expect(() => mskSink({ topic: 'payments' })).toThrow(/"payments" is not among the config's topics \(orders\)/);
    expect(() => mskSink({ topic: 'payments', connectorConfig: config({ 'flush.size': 1, 'topics.regex': 'orders.*' }) })).toThrow(
      /does not match the config's topics.regex/,
    );
    expect(mskSink({ topic: 'orders.eu', connectorConfig: config({ 'flush.size': 1, 'topics.regex': 'orders.*' }) }).sink.topic).toBe('orders.eu');
  });

  test('prefixes that would widen the IAM resource are refused', () => {
    for (const bad of ['*', 'topics/*', '/topics', 'topics/', '..', 'a/../b', '.', 'a//b']) {
      expect(() => mskSink({ connectorConfig: config({ 'flush.size': 1, topics: 'orders', 'topics.dir': bad }) })).toThrow(/topics.dir: /);
    }
    expect(() => mskSink({ connectorConfig: config({ 'flush.size': 1, topics: 'orders', 'errors.prefix': 'x/*' }) })).toThrow(/errors.prefix: /);
  });

  test('partial batch responses only together with the mapping\'s ReportBatchItemFailures', () => {
    expect(() =>
      mskSink({ reportBatchItemFailures: false, connectorConfig: config({ 'flush.size': 1, topics: 'orders', 'lambda.partial.batch.response': 'true' }) }),
    ).toThrow(/lambda.partial.batch.response: true needs the mapping to report batch item failures/);
  });

  test('timeout, starting position, cluster ARN, secrets and the environment size', () => {
    expect(() => mskSink({ timeout: Duration.minutes(15) })).toThrow(/timeout: 900 s is longer than a Kafka invocation may last/);
    expect(() => mskSink({ startingPosition: lambda.StartingPosition.AT_TIMESTAMP })).toThrow(/startingPositionTimestamp/);
    expect(() => mskSink({ kafka: KafkaSource.msk({ clusterArn: 'arn:aws:kafka:us-east-1:111122223333:topic/x/y/z' }) })).toThrow(
      /kafka.clusterArn: .* is not an MSK cluster ARN/,
    );
    expect(() => mskSink({ connectorConfig: config({ 'flush.size': 1, topics: 'orders', 'value.converter.basic.auth.password': 'p' }) })).toThrow(
      /is a secret and holds a plain value/,
    );
    const big: Record<string, string> = { 'flush.size': '1', topics: 'orders' };
    for (let i = 0; i < 60; i++) big[`transforms.t${i}.type`] = 'org.apache.kafka.connect.transforms.ReplaceField$Value';
    expect(() => mskSink({ connectorConfig: config(big) })).toThrow(/more than Lambda's 4 KB/);
    expect(() => SinkCode.fromBootstrapDirectory('/nonexistent').createFunction(new Stack(), 'F', {})).toThrow(/holds no "bootstrap"/);
  });

  test('grants: reading the output, and a secret for a config-provider reference', () => {
    const { sink, stack } = mskSink();
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    sink.grantReadOutput(reader);
    const secret = new secretsmanager.Secret(stack, 'RegistryPassword');
    sink.grantSecretRead(secret);
    const template = Template.fromStack(stack);
    const readerPolicy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('ReaderDefaultPolicy'));
    expect(JSON.stringify(readerPolicy)).toContain('/topics/*');
    expect(JSON.stringify(readerPolicy)).toContain('s3:GetObject');
    expect(statements(template).some((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'))).toBe(true);
  });

  test('grants: a Systems Manager parameter for a ${ssm:...} reference, that parameter only', () => {
    const { sink, stack } = mskSink();
    const parameter = new ssm.StringParameter(stack, 'Topics', { parameterName: '/sink/topics', stringValue: 'orders' });
    sink.grantParameterRead(parameter);
    const template = Template.fromStack(stack);
    const reads = statements(template).filter((s) => JSON.stringify(s.Action).includes('ssm:GetParameter'));
    expect(reads).toHaveLength(1);
    // The parameter's own ARN: `...:parameter` joined with the parameter's name (its Ref).
    const resource = JSON.stringify(reads[0].Resource);
    expect(resource).toContain(':parameter');
    expect(resource).toMatch(/"Ref":"Topics[0-9A-F]+"/);
  });

  test('grants: a Glue Schema Registry for the Glue converters, its schema versions only', () => {
    const { sink, stack } = mskSink();
    sink.grantGlueSchemaRead('orders-registry');
    const template = Template.fromStack(stack);
    const reads = statements(template).filter((s) => JSON.stringify(s.Action).includes('glue:'));
    expect(reads).toHaveLength(1);
    expect(reads[0].Action).toEqual('glue:GetSchemaVersion');
    const resource = JSON.stringify(reads[0].Resource);
    expect(resource).toContain(':registry/orders-registry');
    expect(resource).toContain(':schema/orders-registry/*');
  });

  test('checkWith runs the binary\'s check on the function\'s environment', () => {
    // A stand-in for the crate's binary: records what it got, answers like `check`.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-s3-sink-check-'));
    const seen = path.join(dir, 'seen');
    const fake = (name: string, body: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `#!/bin/sh\n[ "$1" = check ] || exit 2\nenv | grep '^S3_SINK_' | sort > ${seen}\n${body}\n`, { mode: 0o755 });
      return file;
    };
    const ok = fake('ok', "printf 'configuration is valid\\nwarnings:\\n  - rotate.schedule.interval.ms=60000 is accepted and needs nothing here\\n' >&2; echo '{\"flush.size\": \"1000\"}'");
    const { stack } = mskSink({ checkWith: ok });
    expect(fs.readFileSync(seen, 'utf8')).toMatch(/^S3_SINK_CONFIG=\{"flush.size":"1000","topics":"orders"\}\nS3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE=true\nS3_SINK_S3_BUCKET_NAME=bucket-named-at-deploy\nS3_SINK_TOPICS_DIR=topics\n$/);
    Annotations.fromStack(stack).hasWarning('/Test/Sink', Match.stringLikeRegexp('kafka-s3-sink check: rotate.schedule.interval.ms=60000'));

    const refuses = fake('refuses', "echo 'error: invalid configuration: timezone: \"Mars/Base\" is not an IANA time zone id' >&2; exit 1");
    expect(() => mskSink({ checkWith: refuses })).toThrow(/`kafka-s3-sink check` refuses the configuration:\nerror: invalid configuration: timezone/);
    expect(() => mskSink({ checkWith: path.join(dir, 'missing') })).toThrow(/checkWith: cannot run/);
  });
});
