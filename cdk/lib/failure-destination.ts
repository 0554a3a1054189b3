import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * Where the mapping sends a batch it gives up on (after `retryAttempts` or `maxRecordAge`).
 *
 * The mapping delivers with the function's role, so each destination grants exactly what the
 * delivery needs (the SAM template's statements), no more: unlike `SqsDlq`, `SnsDlq` and
 * `S3OnFailureDestination` of `aws-lambda-event-sources`, which grant queue attributes or read and
 * delete on the whole bucket.
 */
export class FailureDestination {
  /** An SQS queue: `sqs:SendMessage`, and the queue's KMS key if it has one. */
  public static sqs(queue: sqs.IQueue): FailureDestination {
    return new FailureDestination(
      'Sqs',
      queue.queueArn,
      [new iam.PolicyStatement({ sid: 'OnFailureToSqs', actions: ['sqs:SendMessage'], resources: [queue.queueArn] })],
      queue.encryptionMasterKey,
    );
  }

  /** An SNS topic: `sns:Publish`, and the topic's KMS key if it has one. */
  public static sns(topic: sns.ITopic): FailureDestination {
    return new FailureDestination(
      'Sns',
      topic.topicArn,
      [new iam.PolicyStatement({ sid: 'OnFailureToSns', actions: ['sns:Publish'], resources: [topic.topicArn] })],
      topic.masterKey,
    );
  }

  /** An S3 bucket: `s3:PutObject` and `s3:ListBucket` on it, and its KMS key if it has one. */
  public static s3(bucket: s3.IBucket): FailureDestination {
    return new FailureDestination(
      'S3',
      bucket.bucketArn,
      [
        new iam.PolicyStatement({
          sid: 'OnFailureToS3',
          actions: ['s3:PutObject', 's3:ListBucket'],
          resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        }),
      ],
      bucket.encryptionKey,
    );
  }

  /**
   * A topic of the same Kafka cluster (`kafka://topic`). On MSK the role may write to that
   * topic only (`kafka-cluster:WriteData` and the `DescribeTopic` it requires).
   */
  public static kafkaTopic(topicName: string): FailureDestination {
    const name = topicName.replace(/^kafka:\/\//, '');
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
      throw new Error(`onFailure: "${topicName}" is not a Kafka topic name (letters, digits, ".", "_", "-")`);
    }
    return new FailureDestination('Kafka', `kafka://${name}`, [], undefined, name);
  }

  private constructor(
    /** Which kind of destination this is. */
    public readonly kind: 'Sqs' | 'Sns' | 'S3' | 'Kafka',
    /** The `DestinationConfig.OnFailure.Destination` value. */
    public readonly destination: string,
    /** The statements the role needs to deliver there (Kafka topics: added by the sink). */
    public readonly statements: iam.PolicyStatement[],
    /** The destination's KMS key, which the delivery also needs. */
    public readonly encryptionKey: kms.IKey | undefined,
    /** The topic name, for a Kafka destination. */
    public readonly kafkaTopic?: string,
  ) {}
}
