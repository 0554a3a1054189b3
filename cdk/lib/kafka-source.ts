import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** How the mapping authenticates to a self-managed Kafka cluster: a Secrets Manager secret. */
export class KafkaAuthentication {
  /** SASL/SCRAM-SHA-512: the secret holds `username` and `password`. */
  public static saslScram512(secret: secretsmanager.ISecret): KafkaAuthentication {
    return new KafkaAuthentication(lambda.SourceAccessConfigurationType.SASL_SCRAM_512_AUTH, secret);
  }

  /** SASL/SCRAM-SHA-256: the secret holds `username` and `password`. */
  public static saslScram256(secret: secretsmanager.ISecret): KafkaAuthentication {
    return new KafkaAuthentication(lambda.SourceAccessConfigurationType.SASL_SCRAM_256_AUTH, secret);
  }

  /** SASL/PLAIN (Lambda's `BASIC_AUTH`): the secret holds `username` and `password`. */
  public static saslPlain(secret: secretsmanager.ISecret): KafkaAuthentication {
    return new KafkaAuthentication(lambda.SourceAccessConfigurationType.BASIC_AUTH, secret);
  }

  /** Mutual TLS: the secret holds the client certificate chain, private key and optional password. */
  public static mutualTls(secret: secretsmanager.ISecret): KafkaAuthentication {
    return new KafkaAuthentication(lambda.SourceAccessConfigurationType.CLIENT_CERTIFICATE_TLS_AUTH, secret);
  }

  private constructor(
    /** The source access configuration type Lambda expects. */
    public readonly type: lambda.SourceAccessConfigurationType,
    /** The secret the mapping reads. */
    public readonly secret: secretsmanager.ISecret,
  ) {}
}

/** An Amazon MSK cluster, read with IAM authentication. */
export interface MskSourceProps {
  /** ARN of the MSK cluster (`arn:aws:kafka:region:account:cluster/name/uuid`). */
  readonly clusterArn: string;
}

/** A self-managed Kafka cluster. */
export interface SelfManagedSourceProps {
  /** `host:port` of the bootstrap brokers. */
  readonly bootstrapServers: string[];
  /**
   * How the mapping authenticates to the brokers.
   *
   * @default - none: only allowed when the brokers are reached through `vpc`
   */
  readonly authentication?: KafkaAuthentication;
  /**
   * Secret with the root CA certificate (PEM) of brokers whose certificates a private CA signed.
   *
   * @default - the brokers' certificates are publicly trusted
   */
  readonly rootCaCertificate?: secretsmanager.ISecret;
  /**
   * VPC through which the mapping reaches the brokers.
   *
   * @default - the brokers are reachable from the internet
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the mapping's network interfaces.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security group of the mapping's network interfaces; required with `vpc`.
   *
   * @default - none
   */
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** Where the records come from: an MSK cluster or a self-managed Kafka cluster. */
export class KafkaSource {
  /** An Amazon MSK cluster, read with IAM authentication (as the SAM template does). */
  public static msk(props: MskSourceProps): KafkaSource {
    return new KafkaSource(props, undefined);
  }

  /** A self-managed Kafka cluster. */
  public static selfManaged(props: SelfManagedSourceProps): KafkaSource {
    return new KafkaSource(undefined, props);
  }

  private constructor(
    /** Set for an MSK cluster. */
    public readonly msk: MskSourceProps | undefined,
    /** Set for a self-managed cluster. */
    public readonly selfManaged: SelfManagedSourceProps | undefined,
  ) {}
}
