import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { KafkaAuthentication, KafkaS3Sink, KafkaSource, type SelfManagedSourceProps, SinkCode } from '../lib';
import { bootstrapDir, CA_ARN, minimalConfig, newStack, SECRET_ARN, statement, statements } from './helpers';

function selfManagedSink(source: (stack: ReturnType<typeof newStack>) => SelfManagedSourceProps) {
  const stack = newStack();
  new KafkaS3Sink(stack, 'Sink', {
    kafka: KafkaSource.selfManaged(source(stack)),
    connectorConfig: minimalConfig(),
    code: SinkCode.fromBootstrapDirectory(bootstrapDir()),
  });
  return Template.fromStack(stack);
}

const secret = (stack: ReturnType<typeof newStack>, arn = SECRET_ARN, id = 'Secret') =>
  secretsmanager.Secret.fromSecretCompleteArn(stack, id, arn);

describe('self-managed Kafka', () => {
  test.each([
    ['SASL/SCRAM-512', KafkaAuthentication.saslScram512, 'SASL_SCRAM_512_AUTH'],
    ['SASL/SCRAM-256', KafkaAuthentication.saslScram256, 'SASL_SCRAM_256_AUTH'],
    ['SASL/PLAIN', KafkaAuthentication.saslPlain, 'BASIC_AUTH'],
    ['mTLS', KafkaAuthentication.mutualTls, 'CLIENT_CERTIFICATE_TLS_AUTH'],
  ])('%s over the internet: the secret, no VPC, no MSK access', (_name, auth, type) => {
    const template = selfManagedSink((s) => ({ bootstrapServers: ['kafka-1.example.com:9096'], authentication: auth(secret(s)) }));
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['kafka-1.example.com:9096'] } },
      Topics: ['orders'],
      EventSourceArn: Match.absent(),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 200 },
      SourceAccessConfigurations: [{ Type: type, URI: SECRET_ARN }],
    });
    expect(statement(template, 'KafkaSecrets')).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN });
    const sids = statements(template).map((s) => s.Sid).sort();
    expect(sids).toEqual(['KafkaSecrets', 'WriteLogs', 'WriteTopicsDir']);
  });

  test('in a VPC with a private CA: subnets, security group, root CA; network-interface actions', () => {
    const template = selfManagedSink((s) => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 3, natGateways: 1 });
      return {
        bootstrapServers: ['kafka-1.internal:9096', 'kafka-2.internal:9096'],
        authentication: KafkaAuthentication.saslScram512(secret(s)),
        rootCaCertificate: secret(s, CA_ARN, 'Ca'),
        vpc,
        securityGroup: new ec2.SecurityGroup(s, 'Sg', { vpc }),
      };
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['kafka-1.internal:9096', 'kafka-2.internal:9096'] } },
      SourceAccessConfigurations: [
        { Type: 'SASL_SCRAM_512_AUTH', URI: SECRET_ARN },
        { Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: CA_ARN },
        { Type: 'VPC_SUBNET', URI: { 'Fn::Join': ['', ['subnet:', { Ref: Match.stringLikeRegexp('PrivateSubnet1') }]] } },
        { Type: 'VPC_SUBNET', URI: { 'Fn::Join': ['', ['subnet:', { Ref: Match.stringLikeRegexp('PrivateSubnet2') }]] } },
        { Type: 'VPC_SUBNET', URI: { 'Fn::Join': ['', ['subnet:', { Ref: Match.stringLikeRegexp('PrivateSubnet3') }]] } },
        { Type: 'VPC_SECURITY_GROUP', URI: { 'Fn::Join': ['', ['security_group:', { 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }]] } },
      ],
    });
    expect(statement(template, 'KafkaSecrets')?.Resource).toEqual([SECRET_ARN, CA_ARN]);
    expect(statement(template, 'MappingNetworkInterfaces')?.Resource).toBe('*');
    expect(statements(template).some((s) => JSON.stringify(s.Action).includes('kafka'))).toBe(false);
  });

  test('a secret encrypted with a customer key: Decrypt on that key', () => {
    const template = selfManagedSink((s) => ({
      bootstrapServers: ['kafka-1.example.com:9096'],
      authentication: KafkaAuthentication.saslScram512(
        new secretsmanager.Secret(s, 'Creds', { encryptionKey: new kms.Key(s, 'SecretKey', { enableKeyRotation: true }) }),
      ),
    }));
    expect(statement(template, 'DecryptKafkaSecrets')).toMatchObject({ Action: 'kms:Decrypt' });
  });

  test('brokers over the internet need authentication; a VPC needs a security group', () => {
    expect(() => selfManagedSink(() => ({ bootstrapServers: ['kafka-1.example.com:9096'] }))).toThrow(/kafka.authentication: brokers reached over the internet/);
    expect(() => selfManagedSink((s) => ({ bootstrapServers: ['k:9092'], vpc: new ec2.Vpc(s, 'Vpc') }))).toThrow(/kafka.securityGroup: required with `vpc`/);
    expect(() => selfManagedSink((s) => ({ bootstrapServers: [], authentication: KafkaAuthentication.saslPlain(secret(s)) }))).toThrow(/give at least one broker/);
  });
});
