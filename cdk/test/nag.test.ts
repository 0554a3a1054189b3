import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConnectorConfig, KafkaAuthentication, KafkaS3Sink, type KafkaS3SinkProps, KafkaSource, SinkCode } from '../lib';
import { bootstrapDir, CONFIGS, MSK_ARN, SECRET_ARN } from './helpers';

/** AwsSolutions findings left after the construct's acknowledgements. */
function findings(build: (stack: Stack) => Partial<KafkaS3SinkProps>): string[] {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: { account: '111122223333', region: 'us-east-1' } });
  new KafkaS3Sink(stack, 'Sink', {
    kafka: KafkaSource.msk({ clusterArn: MSK_ARN }),
    connectorConfig: ConnectorConfig.fromFile(path.join(CONFIGS, 'orders-timebased.json')),
    code: SinkCode.fromBootstrapDirectory(bootstrapDir()),
    ...build(stack),
  });
  app.synth();
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

describe('cdk-nag AwsSolutions: no finding left unjustified', () => {
  test('MSK, existing bucket (the example)', () => {
    expect(findings((s) => ({ bucket: s3.Bucket.fromBucketName(s, 'Data', 'kafka-sink-data') }))).toEqual([]);
  });

  test('MSK, new bucket with a KMS key and a consumer group', () => {
    expect(findings((s) => ({ encryptionKey: new kms.Key(s, 'Key', { enableKeyRotation: true }), consumerGroupId: 'orders-sink' }))).toEqual([]);
  });

  test('self-managed in a VPC', () => {
    expect(
      findings((s) => {
        const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
          vpcId: 'vpc-0123456789abcdef0',
          availabilityZones: ['us-east-1a', 'us-east-1b'],
          privateSubnetIds: ['subnet-0a', 'subnet-0b'],
        });
        return {
          kafka: KafkaSource.selfManaged({
            bootstrapServers: ['kafka-1.internal:9096'],
            authentication: KafkaAuthentication.saslScram512(secretsmanager.Secret.fromSecretCompleteArn(s, 'Creds', SECRET_ARN)),
            vpc,
            securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s, 'Sg', 'sg-0123456789abcdef0'),
          }),
        };
      }),
    ).toEqual([]);
  });
});
