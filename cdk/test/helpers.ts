import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConnectorConfig, KafkaS3Sink, type KafkaS3SinkProps, KafkaSource, SinkCode } from '../lib';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const MSK_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1`;
export const MSK_TOPIC_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT}:topic/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1`;
export const MSK_GROUP_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT}:group/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1`;
export const KMS_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:AmazonMSK_orders-AbCdEf`;
export const CA_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:kafka-root-ca-AbCdEf`;

/** The repository's shipped connector configs. */
export const CONFIGS = path.join(__dirname, '..', '..', 'examples', 'configs');

let placeholder: string | undefined;

/** A directory with a placeholder `bootstrap`: tests never cross-compile the crate. */
export function bootstrapDir(): string {
  if (!placeholder) {
    placeholder = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-s3-sink-bootstrap-'));
    fs.writeFileSync(path.join(placeholder, 'bootstrap'), '#!/bin/sh\n', { mode: 0o755 });
  }
  return placeholder;
}

export function newStack(): Stack {
  return new Stack(new App(), 'Test', { env: { account: ACCOUNT, region: REGION } });
}

/** The smallest valid config: a flush size and the topic. */
export const minimalConfig = (): ConnectorConfig => ConnectorConfig.fromObject({ 'flush.size': 1000, topics: 'orders' });

/** A sink on MSK with the prebuilt placeholder code; `props` override the defaults. */
export function mskSink(props: Partial<KafkaS3SinkProps> = {}, stack = newStack()): { stack: Stack; sink: KafkaS3Sink; template: Template } {
  const sink = new KafkaS3Sink(stack, 'Sink', {
    kafka: KafkaSource.msk({ clusterArn: MSK_ARN }),
    connectorConfig: minimalConfig(),
    code: SinkCode.fromBootstrapDirectory(bootstrapDir()),
    ...props,
  });
  let template: Template | undefined;
  // Synthesized on first use, so that a test may still change the stack before.
  return {
    stack,
    sink,
    get template() {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}

/** Every statement of the function role's policies, with CloudFormation intrinsics left as they are. */
export function statements(template: Template): Array<{ Sid?: string; Action: string | string[]; Resource: unknown; Effect: string }> {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: [] } } }).Properties.PolicyDocument.Statement);
}

/** The statement with this Sid, or undefined. */
export function statement(template: Template, sid: string) {
  return statements(template).find((s) => s.Sid === sid);
}

/** The function's environment variables. */
export function environment(template: Template): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(fns).toHaveLength(1);
  return (fns[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
}
