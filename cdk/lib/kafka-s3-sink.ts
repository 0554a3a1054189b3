import { spawnSync } from 'node:child_process';
import { Annotations, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { checkConnectorConfig, type ConnectorConfig } from './connector-config';
import type { FailureDestination } from './failure-destination';
import type { KafkaSource } from './kafka-source';
import { SinkCode } from './sink-code';

/** The CloudWatch namespace of the function's Embedded Metric Format metrics (`src/metrics.rs`). */
export const METRICS_NAMESPACE = 'KafkaS3Sink';

/** A Kafka event-source mapping invocation lasts 14 minutes at most. */
const MAX_TIMEOUT = Duration.seconds(840);
/** Lambda limits all environment variables of a function together to 4 KB. */
const ENVIRONMENT_LIMIT_BYTES = 4096;
/** The SAM template's `TopicsDir` pattern: no `.`/`..` segments, no `*`, no leading or trailing `/`. */
const PREFIX_PATTERN = /^[A-Za-z0-9_!'()-][A-Za-z0-9_.!'()-]*(\/[A-Za-z0-9_!'()-][A-Za-z0-9_.!'()-]*)*$/;
const MSK_ARN_PATTERN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster\/[^/]+\/[^/]+$/;
/** The actions a mapping needs for its network interfaces; they take no resource. */
const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
];
/** Connector keys the construct sets itself, through per-key variables. */
const OWNED_KEYS = ['s3.bucket.name', 'topics.dir', 'lambda.partial.batch.response'];

/** Provisioned-mode pollers of the mapping. */
export interface SinkPollers {
  /**
   * Pollers kept running (billed while the mapping exists), 1 to 200.
   *
   * @default 1
   */
  readonly minimumPollers?: number;
  /**
   * Pollers at most, 1 to 2000.
   *
   * @default 200
   */
  readonly maximumPollers?: number;
  /**
   * Mappings with the same group name share pollers.
   *
   * @default - pollers of their own
   */
  readonly pollerGroupName?: string;
}

/** Alarms and dashboard. */
export interface SinkMonitoringProps {
  /**
   * Create the alarms: function errors, `OffsetLag`, records sent to the error prefix, and the
   * age of the oldest record of a batch.
   *
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Actions of every alarm (e.g. an `SnsAction`).
   *
   * @default - none: the alarms are only shown
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /**
   * `OffsetLag` (records not yet delivered to the function) above which the lag alarm fires,
   * after 3 periods of 5 minutes.
   *
   * @default 10000
   */
  readonly offsetLagThreshold?: number;
  /**
   * Age of the oldest record of a batch above which the age alarm fires, after 3 periods of 5
   * minutes.
   *
   * @default Duration.hours(1)
   */
  readonly oldestRecordAgeThreshold?: Duration;
  /**
   * Create a CloudWatch dashboard of the function and its metrics.
   *
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Name of the dashboard.
   *
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

/** Properties of a {@link KafkaS3Sink}. */
export interface KafkaS3SinkProps {
  /** The cluster the records come from. */
  readonly kafka: KafkaSource;
  /**
   * The connector configuration (Confluent key names), checked at synth time against the key
   * table the crate generates: unknown keys are errors, ignored keys warnings.
   */
  readonly connectorConfig: ConnectorConfig;
  /**
   * The topic to consume; an event-source mapping reads one.
   *
   * @default - the config's `topics`, when it names exactly one
   */
  readonly topic?: string;
  /**
   * The bucket to write to; the function may write under `topics.dir/` (and `errors.prefix/`)
   * only.
   *
   * @default - a new bucket: encrypted (with `encryptionKey` if given), public access blocked,
   *   TLS enforced, incomplete multipart uploads aborted after a day, retained on stack deletion
   */
  readonly bucket?: s3.IBucket;
  /**
   * KMS key of the objects: the function may use it (`kms:GenerateDataKey`, `kms:Decrypt`), a
   * new bucket uses it by default, and with `s3.ssea.name=aws:kms` it is passed as
   * `s3.sse.kms.key.id` unless the config names one.
   *
   * @default - the bucket's `encryptionKey`, if any
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Bucket for the server access logs of a new bucket.
   *
   * @default - no access logs
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * The function's code.
   *
   * @default SinkCode.fromCrate(): this repository's crate, built with cargo-lambda
   */
  readonly code?: SinkCode;
  /**
   * Function memory in MB.
   *
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Function timeout, at most 14 minutes (a Kafka invocation's limit).
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Most records per invocation, 1 to 10000.
   *
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * Longest time the mapping gathers records before invoking, at most 5 minutes.
   *
   * @default Duration.seconds(5)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Where a new consumer group starts reading.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * With `StartingPosition.AT_TIMESTAMP`: the time to start from, in Unix seconds.
   *
   * @default - none
   */
  readonly startingPositionTimestamp?: number;
  /**
   * Kafka consumer group; cannot change once the mapping exists. On MSK the role may then use
   * this group only.
   *
   * @default - the mapping's UUID (the role may then use any group of the cluster)
   */
  readonly consumerGroupId?: string;
  /**
   * Provisioned-mode pollers; the mapping always runs in provisioned mode, which partial batch
   * responses on Kafka need.
   *
   * @default - 1 to 200 pollers
   */
  readonly provisionedPollers?: SinkPollers;
  /**
   * Report failed partitions instead of failing the whole batch: sets the mapping's
   * `ReportBatchItemFailures` and the function's `lambda.partial.batch.response` together.
   *
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Retries of a failed batch, -1 (until the records expire) or 0 to 10000.
   *
   * @default - -1 (Lambda's default)
   */
  readonly retryAttempts?: number;
  /**
   * Oldest record the mapping still sends, 60 seconds to 7 days.
   *
   * @default - no limit
   */
  readonly maxRecordAge?: Duration;
  /**
   * Split a failed batch in two and retry the halves.
   *
   * @default false
   */
  readonly bisectBatchOnError?: boolean;
  /**
   * Where the mapping sends batches it gives up on.
   *
   * @default - none: they are dropped
   */
  readonly onFailure?: FailureDestination;
  /**
   * The mapping's schema registry (`ConfluentSchemaRegistry` or `GlueSchemaRegistry` of
   * `aws-lambda-event-sources`), which grants its own access. When a schema-registry
   * converter reads the records it validated, the connector config must say how the mapping
   * delivers them: `lambda.event.record.format` set to the registry's `eventRecordFormat`.
   *
   * @default - none
   */
  readonly schemaRegistry?: lambda.ISchemaRegistry;
  /**
   * Event filters of the mapping (`lambda.FilterCriteria.filter(...)`); records that match none
   * are skipped and committed.
   *
   * @default - every record is delivered
   */
  readonly filters?: Array<{ [key: string]: unknown }>;
  /**
   * KMS key that encrypts the filter criteria.
   *
   * @default - an AWS owned key
   */
  readonly filterEncryption?: kms.IKey;
  /**
   * Alarms and dashboard.
   *
   * @default - alarms with their default thresholds and a dashboard
   */
  readonly monitoring?: SinkMonitoringProps;
  /**
   * A `kafka-s3-sink` binary for this machine (e.g. `target/debug/kafka-s3-sink`): at synth
   * time it runs `kafka-s3-sink check` with the environment the function gets, so values
   * (required keys, time zones, class names, patterns) are checked by the crate's own rules,
   * not only key names. Values known only at deploy time (a new bucket's name) are stand-ins.
   *
   * @default - key names are checked against the key table only
   */
  readonly checkWith?: string;
}

/**
 * The sink function fed by a Kafka event-source mapping, writing to S3 in the Confluent S3 Sink
 * connector's layout, with the least-privilege role of the SAM template.
 *
 * The mapping is a `lambda.EventSourceMapping` built here rather than through
 * `ManagedKafkaEventSource` / `SelfManagedKafkaEventSource`: those attach the managed policy
 * `AWSLambdaMSKExecutionRole` (`kafka:*`-style reads and EC2 on `*`) and grant read/write on a
 * whole on-failure bucket, while this construct grants exactly the statements `template.yaml`
 * grants.
 */
export class KafkaS3Sink extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** The function's role. */
  public readonly role: iam.Role;
  /** The event-source mapping. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The bucket the sink writes to. */
  public readonly bucket: s3.IBucket;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The topic the mapping reads. */
  public readonly topic: string;
  /** The key prefix the sink writes under (`topics.dir`). */
  public readonly topicsDir: string;
  /** The alarms (empty when disabled). */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The dashboard, if created. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** cdk-nag findings on wildcard resources this construct grants on purpose. */
  private readonly wildcardAcks: Array<{ id: string; reason: string }> = [];

  constructor(scope: Construct, id: string, props: KafkaS3SinkProps) {
    super(scope, id);
    const config = props.connectorConfig;

    // --- The connector config, checked by the crate's key table.
    const check = checkConnectorConfig(config);
    const errors = [...check.errors];
    for (const { key, why, secretValue } of check.ignored) {
      const secret = secretValue ? ' Its value is a secret: remove it from the config.' : '';
      Annotations.of(this).addWarningV2(
        `kafka-s3-sink:ignoredKey:${key}`,
        `${config.origin}: "${key}" is accepted and ignored (${why}); it is not passed to the function.${secret}`,
      );
    }
    const passed = check.passed;

    const topicsDir = passed.get('topics.dir')?.trim() ?? 'topics';
    if (!PREFIX_PATTERN.test(topicsDir)) {
      errors.push(`topics.dir: "${topicsDir}" must be a relative prefix without ".", ".." or empty segments, "*" or a trailing "/"`);
    }
    const errorsPrefix = passed.get('errors.prefix')?.trim();
    if (errorsPrefix !== undefined && !PREFIX_PATTERN.test(errorsPrefix)) {
      errors.push(`errors.prefix: "${errorsPrefix}" must be a relative prefix without ".", ".." or empty segments, "*" or a trailing "/"`);
    }

    const reportBatchItemFailures = props.reportBatchItemFailures ?? true;
    const partial = passed.get('lambda.partial.batch.response')?.trim().toLowerCase();
    if (partial === 'true' && !reportBatchItemFailures) {
      errors.push(
        'lambda.partial.batch.response: true needs the mapping to report batch item failures; without it Lambda ignores the list and skips the failed records: set `reportBatchItemFailures` instead',
      );
    }

    const converter = passed.get('value.converter')?.trim() ?? '';
    const registryConverter = /(AvroConverter|ProtobufConverter|JsonSchemaConverter|ProtobufSchemaConverter)$/.test(converter);
    if (props.schemaRegistry && registryConverter && (passed.get('lambda.event.record.format')?.trim() ?? '') === '') {
      errors.push(
        `lambda.event.record.format: required with schemaRegistry and value.converter ${converter}: set it to the registry's eventRecordFormat (JSON or SOURCE)`,
      );
    }

    const topic = props.topic ?? this.topicFromConfig(passed, errors);
    this.topic = topic;
    this.checkTopicMatches(topic, passed, errors);

    if (props.timeout && props.timeout.toSeconds() > MAX_TIMEOUT.toSeconds()) {
      errors.push(`timeout: ${props.timeout.toSeconds()} s is longer than a Kafka invocation may last (840 s)`);
    }
    if ((props.startingPosition === lambda.StartingPosition.AT_TIMESTAMP) !== (props.startingPositionTimestamp !== undefined)) {
      errors.push('startingPositionTimestamp: give it exactly when startingPosition is AT_TIMESTAMP');
    }
    const msk = props.kafka.msk;
    const selfManaged = props.kafka.selfManaged;
    if (msk && !Token.isUnresolved(msk.clusterArn) && !MSK_ARN_PATTERN.test(msk.clusterArn)) {
      errors.push(`kafka.clusterArn: "${msk.clusterArn}" is not an MSK cluster ARN (arn:aws:kafka:region:account:cluster/name/uuid)`);
    }
    if (selfManaged) {
      if (selfManaged.bootstrapServers.length === 0) errors.push('kafka.bootstrapServers: give at least one broker');
      if (!selfManaged.authentication && !selfManaged.vpc) {
        errors.push('kafka.authentication: brokers reached over the internet need authentication (or give `vpc`)');
      }
      if (selfManaged.vpc && !selfManaged.securityGroup) errors.push('kafka.securityGroup: required with `vpc`');
    }
    if (props.onFailure?.kafkaTopic === topic) {
      errors.push('onFailure: the Kafka destination topic must differ from the topic read');
    }
    if (errors.length > 0) {
      throw new Error(`KafkaS3Sink ${this.node.path}: invalid configuration:\n  - ${errors.join('\n  - ')}`);
    }
    this.topicsDir = topicsDir;

    // --- Bucket and key.
    const encryptionKey = props.encryptionKey ?? props.bucket?.encryptionKey;
    this.bucket = props.bucket ?? this.createBucket(props, encryptionKey);
    const configuredBucket = passed.get('s3.bucket.name');
    if (configuredBucket !== undefined && !Token.isUnresolved(this.bucket.bucketName) && configuredBucket !== this.bucket.bucketName) {
      Annotations.of(this).addWarningV2(
        'kafka-s3-sink:bucketReplaced',
        `s3.bucket.name "${configuredBucket}" of the config is replaced by the bucket this construct writes to ("${this.bucket.bucketName}")`,
      );
    } else if (configuredBucket !== undefined && !props.bucket) {
      Annotations.of(this).addWarningV2(
        'kafka-s3-sink:bucketReplaced',
        `s3.bucket.name "${configuredBucket}" of the config is replaced by the new bucket; pass \`bucket: s3.Bucket.fromBucketName(...)\` to write to it`,
      );
    }

    // --- The function's environment: what template.yaml passes, with the config as one document.
    const environment: Record<string, string> = {
      S3_SINK_S3_BUCKET_NAME: this.bucket.bucketName,
      S3_SINK_TOPICS_DIR: topicsDir,
      S3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE: String(reportBatchItemFailures),
    };
    const document = new Map(passed);
    for (const key of OWNED_KEYS) document.delete(key);
    if (!props.bucket && document.has('s3.region')) {
      // A new bucket is in the stack's region, which the function uses when s3.region is unset.
      Annotations.of(this).addWarningV2(
        'kafka-s3-sink:regionDropped',
        `s3.region "${document.get('s3.region')}" of the config is left out: the new bucket is in the stack's region, which the function uses by default`,
      );
      document.delete('s3.region');
    }
    const ssea = passed.get('s3.ssea.name')?.trim().toLowerCase();
    const configuredKeyId = passed.get('s3.sse.kms.key.id')?.trim();
    if (ssea === 'aws:kms' && encryptionKey && !configuredKeyId) {
      environment.S3_SINK_S3_SSE_KMS_KEY_ID = encryptionKey.keyArn;
    }
    if (configuredKeyId && !encryptionKey) {
      Annotations.of(this).addWarningV2(
        'kafka-s3-sink:kmsKeyNotGranted',
        `s3.sse.kms.key.id "${configuredKeyId}" is not granted to the function: pass the key as \`encryptionKey\` (kms.Key.fromKeyArn(...))`,
      );
    }
    if (document.size > 0) environment.S3_SINK_CONFIG = JSON.stringify(Object.fromEntries(document));
    const size = Object.entries(environment).reduce(
      (n, [k, v]) => n + k.length + (Token.isUnresolved(v) ? 256 : Buffer.byteLength(v)),
      0,
    );
    if (size > ENVIRONMENT_LIMIT_BYTES) {
      throw new Error(
        `KafkaS3Sink ${this.node.path}: connectorConfig: the function's environment would be about ${size} bytes, more than Lambda's 4 KB; leave out keys that keep their defaults`,
      );
    }

    if (props.checkWith) this.runCheck(props.checkWith, environment);

    // --- Role and function.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `kafka-s3-sink ${this.node.path}: writes ${topicsDir}/ of its bucket`,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.function = (props.code ?? SinkCode.fromCrate()).createFunction(this, 'Function', {
      description: 'Writes Kafka records to S3 in the Confluent S3 Sink layout.',
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      // Sets AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL, which the binary honours.
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      environment,
    });

    this.grantOwnPermissions(props, topicsDir, errorsPrefix, passed, encryptionKey, topic);

    // --- The mapping. Every property below is an L2 prop of lambda.EventSourceMapping in
    // aws-cdk-lib 2.276 (pollers with a group name, schema registry, filters, S3 and Kafka
    // on-failure destinations), so no escape hatch is needed.
    const pollers = props.provisionedPollers ?? {};
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'Mapping', {
      target: this.function,
      eventSourceArn: msk?.clusterArn,
      kafkaBootstrapServers: selfManaged?.bootstrapServers,
      kafkaTopic: topic,
      kafkaConsumerGroupId: props.consumerGroupId,
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      startingPositionTimestamp: props.startingPositionTimestamp,
      batchSize: props.batchSize ?? 500,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(5),
      reportBatchItemFailures,
      provisionedPollerConfig: {
        minimumPollers: pollers.minimumPollers ?? 1,
        maximumPollers: pollers.maximumPollers ?? 200,
        pollerGroupName: pollers.pollerGroupName,
      },
      retryAttempts: props.retryAttempts,
      maxRecordAge: props.maxRecordAge,
      bisectBatchOnError: props.bisectBatchOnError,
      onFailure: props.onFailure ? { bind: () => ({ destination: props.onFailure!.destination }) } : undefined,
      supportS3OnFailureDestination: true,
      schemaRegistryConfig: props.schemaRegistry,
      filters: props.filters,
      filterEncryption: props.filterEncryption,
      sourceAccessConfigurations: selfManaged ? this.sourceAccess(props) : undefined,
    });
    // Lambda checks the role when it creates the mapping: wait for every statement above.
    this.eventSourceMapping.node.addDependency(this.role);
    this.node.addValidation({ validate: () => this.refuseQueueMode() });

    this.acknowledgeNagFindings(props);
    this.dashboard = this.createMonitoring(props.monitoring ?? {});
  }

  /** Lets `grantee` read what the sink wrote (under `topics.dir/`), e.g. an Athena or Glue role. */
  public grantReadOutput(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee, `${this.topicsDir}/*`);
  }

  /**
   * Lets the function read a secret, for a config value that refers to it through a config
   * provider (`${secretsmanager:...}`).
   */
  public grantSecretRead(secret: secretsmanager.ISecret): iam.Grant {
    return secret.grantRead(this.role);
  }

  /**
   * Lets the function read a Systems Manager parameter (and decrypt it with its key), for a
   * config value that refers to it through a config provider (`${ssm:...}`).
   */
  public grantParameterRead(parameter: ssm.IParameter): iam.Grant {
    return parameter.grantRead(this.role);
  }

  /**
   * Lets the function read schema versions of an AWS Glue Schema Registry, for the Glue
   * converters (`AWSKafkaAvroConverter` and its JSON Schema and Protobuf siblings):
   * `glue:GetSchemaVersion` on the registry and its schemas, nothing else.
   */
  public grantGlueSchemaRead(registryName: string): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['glue:GetSchemaVersion'],
      resourceArns: [
        stack.formatArn({ service: 'glue', resource: 'registry', resourceName: registryName }),
        stack.formatArn({ service: 'glue', resource: 'schema', resourceName: `${registryName}/*` }),
      ],
    });
  }

  /** A metric of the function's Embedded Metric Format line (`RecordsIn`, `RecordsWritten`, ...). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { FunctionName: this.function.functionName },
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Records the function received, summed. */
  public metricRecordsIn(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RecordsIn', { statistic: 'Sum', ...props });
  }

  /** Records written to data files, summed. */
  public metricRecordsWritten(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RecordsWritten', { statistic: 'Sum', ...props });
  }

  /** Records sent to the error prefix (`errors.tolerance=all`), summed. */
  public metricRecordsErrored(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RecordsErrored', { statistic: 'Sum', ...props });
  }

  /** Age of the oldest record of a batch, in milliseconds, maximum. */
  public metricOldestRecordAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OldestRecordAgeMs', { statistic: 'Maximum', ...props });
  }

  /** The mapping's `OffsetLag` (records written to the topic and not yet processed), maximum. */
  public metricOffsetLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metric('OffsetLag', { statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }

  /** Runs the crate's `check` on the function's environment; a refusal fails the synth. */
  private runCheck(binary: string, environment: Record<string, string>): void {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const [k, v] of Object.entries(environment)) {
      env[k] = Token.isUnresolved(v) ? (k === 'S3_SINK_S3_BUCKET_NAME' ? 'bucket-named-at-deploy' : 'resolved-at-deploy') : v;
    }
    const run = spawnSync(binary, ['check'], { env, encoding: 'utf8', timeout: 60_000 });
    if (run.error) throw new Error(`KafkaS3Sink ${this.node.path}: checkWith: cannot run ${binary}: ${run.error.message}`);
    if (run.status !== 0) {
      throw new Error(`KafkaS3Sink ${this.node.path}: \`kafka-s3-sink check\` refuses the configuration:\n${run.stderr}${run.stdout}`.trimEnd());
    }
    // `check` prints the effective config on stdout and its report, warnings included, on stderr.
    for (const line of run.stderr.split('\n')) {
      const warning = /^ {2}- (.*)$/.exec(line);
      if (warning) Annotations.of(this).addWarningV2('kafka-s3-sink:checkWarning', `kafka-s3-sink check: ${warning[1]}`);
    }
  }

  private topicFromConfig(config: ReadonlyMap<string, string>, errors: string[]): string {
    const topics = (config.get('topics') ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (topics.length === 1) return topics[0];
    errors.push(
      topics.length === 0
        ? 'topic: required when the config names no single topic (`topics`)'
        : `topic: the config's \`topics\` names ${topics.length} topics; a mapping reads one: set \`topic\` (one sink per topic)`,
    );
    return '';
  }

  private checkTopicMatches(topic: string, config: ReadonlyMap<string, string>, errors: string[]): void {
    if (topic === '' || Token.isUnresolved(topic)) return;
    const list = config.get('topics');
    const regex = config.get('topics.regex');
    if (list !== undefined && !list.split(',').map((t) => t.trim()).includes(topic)) {
      errors.push(`topic: "${topic}" is not among the config's topics (${list}); the function would fail every record`);
    }
    if (regex !== undefined) {
      let re: RegExp | undefined;
      try {
        re = new RegExp(`^(?:${regex})$`);
      } catch {
        re = undefined; // A pattern JavaScript cannot read is left to the function's own check.
      }
      if (re && !re.test(topic)) {
        errors.push(`topic: "${topic}" does not match the config's topics.regex (${regex}); the function would fail every record`);
      }
    }
  }

  private createBucket(props: KafkaS3SinkProps, encryptionKey: kms.IKey | undefined): s3.Bucket {
    return new s3.Bucket(this, 'Bucket', {
      encryption: encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey,
      bucketKeyEnabled: encryptionKey !== undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      // The sink aborts every multipart upload it starts, but not one whose CreateMultipartUpload
      // answer was lost.
      lifecycleRules: [{ id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
  }

  /** The statements of template.yaml, each only where its option is set. */
  private grantOwnPermissions(
    props: KafkaS3SinkProps,
    topicsDir: string,
    errorsPrefix: string | undefined,
    config: ReadonlyMap<string, string>,
    encryptionKey: kms.IKey | undefined,
    topic: string,
  ): void {
    const add = (s: iam.PolicyStatementProps, wildcardReason?: string) => {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement(s));
      // cdk-nag reports each wildcard resource as its own IAM5 finding, named by the resource
      // as it flattens it; acknowledge exactly those, with the statement's reason.
      for (const r of s.resources ?? []) {
        const flat = flattenReference(Stack.of(this).resolve(r));
        if (wildcardReason && flat.includes('*')) this.wildcardAcks.push({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason: wildcardReason });
      }
    };
    add(
      { sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] },
      "The log group's ARN ends in :* to cover its log streams; only CreateLogStream and PutLogEvents are allowed, on this log group only.",
    );
    // Writes only, under the prefixes: no reads, deletes or bucket changes. PutObject covers the
    // multipart calls except abort and list parts; tagging and ACLs only when configured.
    const writeActions = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
    if (config.get('s3.object.tagging')?.trim().toLowerCase() === 'true') writeActions.push('s3:PutObjectTagging');
    if ((config.get('s3.acl.canned')?.trim() ?? '') !== '') writeActions.push('s3:PutObjectAcl');
    const prefixes = [topicsDir];
    if (errorsPrefix !== undefined && !`${errorsPrefix}/`.startsWith(`${topicsDir}/`)) prefixes.push(errorsPrefix);
    add(
      { sid: 'WriteTopicsDir', actions: writeActions, resources: prefixes.map((p) => this.bucket.arnForObjects(`${p}/*`)) },
      `Object keys depend on record data; the function may write under ${prefixes.map((p) => `${p}/`).join(' and ')} of this bucket only, and never read or delete.`,
    );
    // SSE-KMS: a data key for each object, Decrypt to complete multipart uploads.
    const keys = [encryptionKey, props.onFailure?.encryptionKey].filter((k): k is kms.IKey => k !== undefined);
    if (keys.length > 0) {
      add({ sid: 'UseKmsKeys', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: keys.map((k) => k.keyArn) });
    }
    for (const s of props.onFailure?.statements ?? []) this.role.addToPrincipalPolicy(s);

    const msk = props.kafka.msk;
    if (msk) {
      const arn = (kind: 'topic' | 'group', name: string) => mskResourceArn(msk.clusterArn, kind, name);
      add({
        sid: 'MskCluster',
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
        resources: [msk.clusterArn],
      });
      add({ sid: 'MskTopic', actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], resources: [arn('topic', topic)] });
      // Without a consumer group id the group is the mapping's UUID, unknown here.
      add(
        { sid: 'MskGroup', actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], resources: [arn('group', props.consumerGroupId ?? '*')] },
        "Without consumerGroupId the mapping's consumer group is its own UUID, unknown before deployment; only DescribeGroup and AlterGroup, on this cluster's groups only.",
      );
      add({
        sid: 'MskBrokers',
        actions: ['kafka:DescribeCluster', 'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
        resources: [msk.clusterArn],
      });
      const dlq = props.onFailure?.kafkaTopic;
      if (dlq !== undefined) {
        add({ sid: 'OnFailureToKafka', actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'], resources: [arn('topic', dlq)] });
      }
    }
    const selfManaged = props.kafka.selfManaged;
    if (selfManaged) {
      const secrets = [selfManaged.authentication?.secret, selfManaged.rootCaCertificate].filter(
        (s): s is secretsmanager.ISecret => s !== undefined,
      );
      if (secrets.length > 0) {
        add({ sid: 'KafkaSecrets', actions: ['secretsmanager:GetSecretValue'], resources: secrets.map((s) => s.secretArn) });
        const secretKeys = secrets.map((s) => s.encryptionKey).filter((k): k is kms.IKey => k !== undefined);
        if (secretKeys.length > 0) add({ sid: 'DecryptKafkaSecrets', actions: ['kms:Decrypt'], resources: secretKeys.map((k) => k.keyArn) });
      }
    }
    // The mapping's network interfaces in the cluster's VPC; these actions take no resource.
    if (msk || selfManaged?.vpc) {
      add(
        { sid: 'MappingNetworkInterfaces', actions: ENI_ACTIONS, resources: ['*'] },
        'The network-interface actions an event-source mapping needs in the VPC (ec2:CreateNetworkInterface, Describe*) support no resource-level scoping.',
      );
    }
  }

  private sourceAccess(props: KafkaS3SinkProps): lambda.SourceAccessConfiguration[] {
    const sm = props.kafka.selfManaged!;
    const out: lambda.SourceAccessConfiguration[] = [];
    if (sm.authentication) out.push({ type: sm.authentication.type, uri: sm.authentication.secret.secretArn });
    if (sm.rootCaCertificate) {
      out.push({ type: lambda.SourceAccessConfigurationType.SERVER_ROOT_CA_CERTIFICATE, uri: sm.rootCaCertificate.secretArn });
    }
    if (sm.vpc) {
      const subnets = sm.vpc.selectSubnets(sm.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
      for (const id of subnets.subnetIds) out.push({ type: lambda.SourceAccessConfigurationType.VPC_SUBNET, uri: `subnet:${id}` });
      out.push({ type: lambda.SourceAccessConfigurationType.VPC_SECURITY_GROUP, uri: `security_group:${sm.securityGroup!.securityGroupId}` });
    }
    return out;
  }

  /**
   * Queue mode (Kafka share groups) gives up the per-partition order the file rule needs, so
   * it is refused however it was set, including through an escape hatch on the mapping.
   */
  private refuseQueueMode(): string[] {
    const cfn = this.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
    // The rendered resource, property overrides included (what the template will hold).
    type Rendered = { Resources: { [id: string]: { Properties?: { [key: string]: { ConsumptionMode?: unknown } | undefined } } } };
    const rendered = Stack.of(this).resolve((cfn as unknown as { _toCloudFormation(): object })._toCloudFormation()) as Rendered;
    const props = Object.values(rendered.Resources)[0]?.Properties ?? {};
    const modes = ['SelfManagedKafkaEventSourceConfig', 'AmazonManagedKafkaEventSourceConfig'].map((k) => props[k]?.ConsumptionMode);
    return modes.some((m) => m !== undefined && m !== 'Stream')
      ? [
          'the event-source mapping uses ConsumptionMode Queue (Kafka share groups), which gives up per-partition order: the file rule that makes retries exactly-once needs that order; remove ConsumptionMode or set it to Stream',
        ]
      : [];
  }

  /** cdk-nag AwsSolutions findings this design accepts, each with its reason. */
  private acknowledgeNagFindings(props: KafkaS3SinkProps): void {
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy && this.wildcardAcks.length > 0) Validations.of(policy).acknowledge(...this.wildcardAcks);
    if (this.bucket.node.defaultChild instanceof s3.CfnBucket && !props.serverAccessLogsBucket) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'Server access logs are optional (serverAccessLogsBucket): only the sink writes here, with its own role, which CloudTrail data events can audit.',
      });
    }
  }

  private createMonitoring(m: SinkMonitoringProps): cloudwatch.Dashboard | undefined {
    const fiveMinutes = Duration.minutes(5);
    if (m.alarms ?? true) {
      const alarm = (id: string, metric: cloudwatch.Metric, threshold: number, evaluationPeriods: number, description: string) => {
        const a = metric.createAlarm(this, id, {
          threshold,
          evaluationPeriods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: description,
        });
        for (const action of m.alarmActions ?? []) a.addAlarmAction(action);
        this.alarms.push(a);
      };
      alarm('ErrorsAlarm', this.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), 1, 1,
        'The sink function failed an invocation: the batch is retried; the logs name topic, partition, offset and reason.');
      alarm('OffsetLagAlarm', this.metricOffsetLag(), m.offsetLagThreshold ?? 10000, 3,
        'The sink is falling behind its topic (OffsetLag).');
      alarm('RecordsErroredAlarm', this.metricRecordsErrored(), 1, 1,
        'Records went to the error prefix (errors.tolerance=all).');
      alarm('OldestRecordAgeAlarm', this.metricOldestRecordAge(), (m.oldestRecordAgeThreshold ?? Duration.hours(1)).toMilliseconds(), 3,
        'The oldest record of a batch is older than the threshold.');
    }
    if (m.dashboard ?? true) {
      const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: m.dashboardName });
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Records',
          left: [this.metricRecordsIn(), this.metricRecordsWritten(), this.metricRecordsErrored()],
          width: 12,
        }),
        new cloudwatch.GraphWidget({ title: 'Oldest record age (ms)', left: [this.metricOldestRecordAge()], width: 12 }),
        new cloudwatch.GraphWidget({ title: 'OffsetLag', left: [this.metricOffsetLag()], width: 12 }),
        new cloudwatch.GraphWidget({
          title: 'Invocations and errors',
          left: [this.function.metricInvocations({ period: fiveMinutes }), this.function.metricErrors({ period: fiveMinutes })],
          right: [this.function.metricDuration({ period: fiveMinutes, statistic: 'Maximum' })],
          width: 12,
        }),
      );
      if (this.alarms.length > 0) dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ alarms: this.alarms, width: 24 }));
      return dashboard;
    }
    return undefined;
  }
}

/** The ARN of a topic or group of an MSK cluster: the cluster ARN with `cluster/` replaced. */
function mskResourceArn(clusterArn: string, kind: 'topic' | 'group', name: string): string {
  if (!Token.isUnresolved(clusterArn)) return `${clusterArn.replace(':cluster/', `:${kind}/`)}/${name}`;
  const parts = Fn.split(':cluster/', clusterArn);
  return Fn.join('', [Fn.select(0, parts), `:${kind}/`, Fn.select(1, parts), `/${name}`]);
}

/** A resolved CloudFormation value as cdk-nag names it in findings (`<Logical.Arn>`, `<AWS::Partition>`). */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as { [k: string]: unknown };
  if (Array.isArray(o['Fn::Join'])) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (o['Fn::Sub'] !== undefined) return flattenReference(o['Fn::Sub']);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (o['Fn::ImportValue'] !== undefined) return flattenReference(o['Fn::ImportValue']);
  if (o.Ref !== undefined) return `<${flattenReference(o.Ref)}>`;
  return JSON.stringify(node);
}
