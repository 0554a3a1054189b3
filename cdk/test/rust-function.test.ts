import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RustFunction } from 'cargo-lambda-cdk';
import { KafkaS3Sink, KafkaSource, SinkCode } from '../lib';
import { minimalConfig, MSK_ARN } from './helpers';

test('the default code builds the crate with cargo-lambda-cdk (bundling skipped in tests)', () => {
  // `aws:cdk:bundling-stacks` empty: no stack is bundled, so cargo-lambda is never run here.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Build');
  const sink = new KafkaS3Sink(stack, 'Sink', {
    kafka: KafkaSource.msk({ clusterArn: MSK_ARN }),
    connectorConfig: minimalConfig(),
    code: SinkCode.fromCrate(),
  });
  expect(sink.function).toBeInstanceOf(RustFunction);
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'provided.al2023',
    Architectures: ['arm64'],
    Handler: 'bootstrap',
  });
});
