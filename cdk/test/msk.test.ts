import { Duration, type Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConfluentSchemaRegistry } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ConnectorConfig, FailureDestination, KafkaSource } from '../lib';
import { KMS_ARN, MSK_ARN, MSK_GROUP_ARN, MSK_TOPIC_ARN, mskSink, newStack, statement, statements } from './helpers';

describe('MSK mapping', () => {
  test('reads the topic with IAM auth, in provisioned mode, reporting failed partitions', () => {
    const { template } = mskSink();
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: MSK_ARN,
      Topics: ['orders'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 200 },
      SourceAccessConfigurations: Match.absent(),
      AmazonManagedKafkaEventSourceConfig: Match.absent(),
      DestinationConfig: Match.absent(),
      FunctionName: { Ref: Match.stringLikeRegexp('^SinkFunction') },
    });
  });

  test('every mapping option reaches the mapping', () => {
    const { template } = mskSink({
      batchSize: 10000,
      maxBatchingWindow: Duration.seconds(30),
      startingPosition: lambda.StartingPosition.AT_TIMESTAMP,
      startingPositionTimestamp: 1700000000,
      consumerGroupId: 'orders-sink',
      provisionedPollers: { minimumPollers: 2, maximumPollers: 10, pollerGroupName: 'sinks' },
      retryAttempts: 5,
      maxRecordAge: Duration.hours(6),
      bisectBatchOnError: true,
      filters: [lambda.FilterCriteria.filter({ value: { type: lambda.FilterRule.isEqual('order') } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10000,
      MaximumBatchingWindowInSeconds: 30,
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: 1700000000,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'orders-sink' },
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 10, PollerGroupName: 'sinks' },
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 21600,
      BisectBatchOnFunctionError: true,
      FilterCriteria: { Filters: [{ Pattern: '{"value":{"type":["order"]}}' }] },
    });
  });

  test('without partial batch responses, neither the mapping nor the function uses them', () => {
    const { template } = mskSink({ reportBatchItemFailures: false });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: Match.absent() });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ S3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE: 'false' }) },
    });
  });

  test('schema registry configuration is passed to the mapping', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'RegistrySecret', `arn:aws:secretsmanager:us-east-1:111122223333:secret:registry-AbCdEf`);
    const { template } = mskSink(
      {
        schemaRegistry: new ConfluentSchemaRegistry({
          schemaRegistryUri: 'https://registry.example.com',
          eventRecordFormat: lambda.EventRecordFormat.JSON,
          authenticationType: lambda.KafkaSchemaRegistryAccessConfigType.BASIC_AUTH,
          secret,
          schemaValidationConfigs: [{ attribute: lambda.KafkaSchemaValidationAttribute.VALUE }],
        }),
      },
      stack,
    );
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: {
        SchemaRegistryConfig: {
          SchemaRegistryURI: 'https://registry.example.com',
          EventRecordFormat: 'JSON',
          AccessConfigs: [{ Type: 'BASIC_AUTH', URI: Match.stringLikeRegexp('secret:registry') }],
          SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
        },
      },
    });
  });
});

describe('schema registry with a schema-registry converter', () => {
  const registry = (stack: Stack) =>
    new ConfluentSchemaRegistry({
      schemaRegistryUri: 'https://registry.example.com',
      eventRecordFormat: lambda.EventRecordFormat.SOURCE,
      authenticationType: lambda.KafkaSchemaRegistryAccessConfigType.BASIC_AUTH,
      secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'RegistrySecret', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:registry-AbCdEf'),
      schemaValidationConfigs: [{ attribute: lambda.KafkaSchemaValidationAttribute.VALUE }],
    });
  const avro = (extra: Record<string, string> = {}) =>
    ConnectorConfig.fromObject({
      'flush.size': 1000,
      topics: 'orders',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': 'https://registry.example.com',
      ...extra,
    });

  test('lambda.event.record.format is required, naming the key', () => {
    const stack = newStack();
    expect(() => mskSink({ schemaRegistry: registry(stack), connectorConfig: avro() }, stack).template).toThrow(
      /lambda\.event\.record\.format: required with schemaRegistry and value\.converter io\.confluent\.connect\.avro\.AvroConverter/,
    );
  });

  test('with it, the format reaches the function', () => {
    const stack = newStack();
    const { template } = mskSink({ schemaRegistry: registry(stack), connectorConfig: avro({ 'lambda.event.record.format': 'SOURCE' }) }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ S3_SINK_CONFIG: Match.stringLikeRegexp('"lambda\\.event\\.record\\.format":"SOURCE"') }) },
    });
  });
});

describe('MSK IAM: the statements of template.yaml', () => {
  test('cluster, topic, group (any without a group id), brokers, network interfaces', () => {
    const { template } = mskSink();
    const sids = statements(template).map((s) => s.Sid).sort();
    expect(sids).toEqual(['MappingNetworkInterfaces', 'MskBrokers', 'MskCluster', 'MskGroup', 'MskTopic', 'WriteLogs', 'WriteTopicsDir']);
    expect(statement(template, 'MskCluster')).toMatchObject({
      Effect: 'Allow',
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
      Resource: MSK_ARN,
    });
    expect(statement(template, 'MskTopic')).toMatchObject({
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      Resource: `${MSK_TOPIC_ARN}/orders`,
    });
    expect(statement(template, 'MskGroup')).toMatchObject({
      Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      Resource: `${MSK_GROUP_ARN}/*`,
    });
    expect(statement(template, 'MskBrokers')).toMatchObject({
      Action: ['kafka:DescribeCluster', 'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
      Resource: MSK_ARN,
    });
    expect(statement(template, 'MappingNetworkInterfaces')).toMatchObject({
      Action: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeVpcs',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
      ],
      Resource: '*',
    });
    // No managed policy: logs go to the sink's own log group only.
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  test('with a consumer group id, that group only', () => {
    const { template } = mskSink({ consumerGroupId: 'orders-sink' });
    expect(statement(template, 'MskGroup')?.Resource).toBe(`${MSK_GROUP_ARN}/orders-sink`);
  });

  test('a cluster ARN from another resource is split with intrinsics', () => {
    const stack = newStack();
    const arn = new s3.CfnBucket(stack, 'Stand-in').attrArn; // any token
    const { template } = mskSink({ kafka: KafkaSource.msk({ clusterArn: arn }) }, stack);
    expect(JSON.stringify(statement(template, 'MskTopic')?.Resource)).toContain(':topic/');
  });

  test('the mapping waits for its permissions', () => {
    const { template } = mskSink();
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as { DependsOn: string[] };
    expect(mapping.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^SinkRoleDefaultPolicy/), expect.stringMatching(/^SinkRole[0-9A-F]{8}$/)]));
  });
});

describe('S3 writes', () => {
  test('PutObject and multipart housekeeping under topics.dir/ only; no tagging or ACL unless configured', () => {
    const { template } = mskSink();
    expect(statement(template, 'WriteTopicsDir')).toMatchObject({
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^SinkBucket/), 'Arn'] }, '/topics/*']] },
    });
  });

  test('tagging and a canned ACL add their actions; errors.prefix outside topics.dir is granted too', () => {
    const stack = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'sink-bucket');
    const { template } = mskSink(
      {
        bucket,
        connectorConfig: ConnectorConfig.fromObject({
          'flush.size': 1,
          topics: 'orders',
          'topics.dir': 'raw/kafka',
          's3.object.tagging': 'true',
          's3.acl.canned': 'bucket-owner-full-control',
          'errors.tolerance': 'all',
          'errors.prefix': 'dead/letters',
        }),
      },
      stack,
    );
    const write = statement(template, 'WriteTopicsDir');
    expect(write?.Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObjectTagging', 's3:PutObjectAcl']);
    expect(JSON.stringify(write?.Resource)).toContain(':s3:::sink-bucket/raw/kafka/*');
    expect(JSON.stringify(write?.Resource)).toContain(':s3:::sink-bucket/dead/letters/*');
    for (const s of statements(template)) {
      for (const a of ([] as string[]).concat(s.Action)) expect(a).not.toMatch(/^s3:(GetObject|DeleteObject|PutBucket)|\*/);
    }
  });

  test('a new bucket is encrypted, private, TLS-only, aborts stale multipart uploads and is retained', () => {
    const { template } = mskSink();
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled', Id: 'AbortIncompleteMultipartUploads' }] },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  test('an existing bucket creates none', () => {
    const stack = newStack();
    const { template } = mskSink({ bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'sink-bucket') }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });
});

describe('KMS', () => {
  test('no key, no KMS statement', () => {
    const { template } = mskSink();
    expect(statements(template).some((s) => JSON.stringify(s.Action).includes('kms:'))).toBe(false);
  });

  test('a new bucket with a key: encrypted with it, the function may use that key only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const { template } = mskSink({ encryptionKey: key }, stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } } },
        ],
      },
    });
    expect(statement(template, 'UseKmsKeys')).toMatchObject({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
    });
  });

  test('with s3.ssea.name=aws:kms the key is passed as s3.sse.kms.key.id', () => {
    const stack = newStack();
    const { template } = mskSink(
      {
        bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'sink-bucket'),
        encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KMS_ARN),
        connectorConfig: ConnectorConfig.fromObject({ 'flush.size': 1, topics: 'orders', 's3.ssea.name': 'aws:kms' }),
      },
      stack,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ S3_SINK_S3_SSE_KMS_KEY_ID: KMS_ARN }) },
    });
    expect(statement(template, 'UseKmsKeys')?.Resource).toBe(KMS_ARN);
  });
});

describe('on-failure destinations get only their delivery permission', () => {
  const cases: Array<[string, (s: ReturnType<typeof newStack>) => FailureDestination, string, string[]]> = [
    ['SQS', (s) => FailureDestination.sqs(sqs.Queue.fromQueueArn(s, 'Q', 'arn:aws:sqs:us-east-1:111122223333:orders-failures')), 'arn:aws:sqs:us-east-1:111122223333:orders-failures', ['sqs:SendMessage']],
    ['SNS', (s) => FailureDestination.sns(sns.Topic.fromTopicArn(s, 'T', 'arn:aws:sns:us-east-1:111122223333:orders-failures')), 'arn:aws:sns:us-east-1:111122223333:orders-failures', ['sns:Publish']],
    ['S3', (s) => FailureDestination.s3(s3.Bucket.fromBucketName(s, 'F', 'orders-failures')), 'arn:aws:s3:::orders-failures', ['s3:PutObject', 's3:ListBucket']],
  ];
  test.each(cases)('%s', (_name, make, arn, actions) => {
    const stack = newStack();
    const { template } = mskSink({ onFailure: make(stack) }, stack);
    const rendered = JSON.stringify(template.toJSON());
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { DestinationConfig: { OnFailure: { Destination: Match.anyValue() } } });
    const onDestination = statements(template).filter((s) => JSON.stringify(s.Resource).includes(arn.split(':').pop()!));
    expect(onDestination.flatMap((s) => ([] as string[]).concat(s.Action))).toEqual(actions);
    expect(rendered).toContain(arn.split(':').pop());
  });

  test('an encrypted SQS queue adds its key', () => {
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Q', { encryption: sqs.QueueEncryption.KMS });
    const { template } = mskSink({ onFailure: FailureDestination.sqs(queue) }, stack);
    expect(JSON.stringify(statement(template, 'UseKmsKeys')?.Resource)).toContain('QKey');
  });

  test('a Kafka topic: kafka://topic, and on MSK write access to that topic only', () => {
    const { template } = mskSink({ onFailure: FailureDestination.kafkaTopic('orders-failed') });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { DestinationConfig: { OnFailure: { Destination: 'kafka://orders-failed' } } });
    expect(statement(template, 'OnFailureToKafka')).toMatchObject({
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      Resource: `${MSK_TOPIC_ARN}/orders-failed`,
    });
  });

  test('the same topic as the source is refused', () => {
    expect(() => mskSink({ onFailure: FailureDestination.kafkaTopic('orders') })).toThrow(/must differ from the topic read/);
    expect(() => FailureDestination.kafkaTopic('bad topic')).toThrow(/not a Kafka topic name/);
  });
});
