// The users' TimeBasedPartitioner config (examples/configs/orders-timebased.json, unchanged),
// deployed to an MSK cluster: `npx cdk synth` turns it into a CloudFormation template.
//
// Context (`-c name=value`):
//   mskClusterArn  the cluster (default: a placeholder ARN, enough to synthesize)
//   bootstrapDir   a directory holding a prebuilt arm64 `bootstrap`
//                  (default: build the crate with cargo-lambda)
//   checkWith      a kafka-s3-sink binary for this machine, to run its `check` on the config
//                  (default: key names are checked against cdk/lib/keys.json only)
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConnectorConfig, KafkaS3Sink, KafkaSource, SinkCode } from '../lib';

const app = new App();
const stack = new Stack(app, 'OrdersSink');

const configFile = path.join(__dirname, '..', '..', 'examples', 'configs', 'orders-timebased.json');
const connectorConfig = ConnectorConfig.fromFile(configFile);
const bootstrapDir: string | undefined = app.node.tryGetContext('bootstrapDir');

new KafkaS3Sink(stack, 'Orders', {
  kafka: KafkaSource.msk({
    clusterArn:
      app.node.tryGetContext('mskClusterArn') ??
      'arn:aws:kafka:ap-northeast-2:111122223333:cluster/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1',
  }),
  connectorConfig,
  // The bucket the config names, which exists already (as with the SAM template).
  bucket: s3.Bucket.fromBucketName(stack, 'Data', connectorConfig.get('s3.bucket.name') ?? 'kafka-sink-data'),
  code: bootstrapDir ? SinkCode.fromBootstrapDirectory(bootstrapDir) : SinkCode.fromCrate(),
  checkWith: app.node.tryGetContext('checkWith'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
