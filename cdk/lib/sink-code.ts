import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, RustFunction } from 'cargo-lambda-cdk';
import type { Construct } from 'constructs';

/** The crate's binary, which Lambda runs as `bootstrap`. */
export const BINARY_NAME = 'kafka-s3-sink';

/** Options for building the function from the crate. */
export interface CrateBuildOptions {
  /**
   * `Cargo.toml` of the crate, or its directory.
   *
   * @default - this repository's `Cargo.toml`
   */
  readonly manifestPath?: string;
  /**
   * Extra bundling options for cargo-lambda (Docker image, environment, hooks). The architecture
   * is always arm64 and the profile `release`.
   *
   * @default - cargo-lambda on the host if installed, else in Docker
   */
  readonly bundling?: Omit<BundlingOptions, 'architecture' | 'profile'>;
}

/** Function properties the sink sets, whichever way the code comes. */
export type SinkFunctionProps = Omit<lambda.FunctionProps, 'code' | 'handler' | 'runtime' | 'architecture'>;

/** Where the function's code comes from: built from the crate, or a prebuilt `bootstrap`. */
export abstract class SinkCode {
  /**
   * Builds the crate with cargo-lambda-cdk's `RustFunction` (`cargo lambda build --release
   * --arm64`, the binary renamed `bootstrap`) at synth time.
   */
  public static fromCrate(options: CrateBuildOptions = {}): SinkCode {
    return new CrateCode(options);
  }

  /**
   * A directory holding a prebuilt `bootstrap` for `provided.al2023` on arm64, e.g.
   * `target/lambda/kafka-s3-sink` after `cargo lambda build --release --arm64`.
   */
  public static fromBootstrapDirectory(directory: string): SinkCode {
    return new BootstrapDirectoryCode(directory);
  }

  /** Creates the function. */
  public abstract createFunction(scope: Construct, id: string, props: SinkFunctionProps): lambda.Function;
}

class CrateCode extends SinkCode {
  constructor(private readonly options: CrateBuildOptions) {
    super();
  }

  public createFunction(scope: Construct, id: string, props: SinkFunctionProps): lambda.Function {
    return new RustFunction(scope, id, {
      ...props,
      manifestPath: this.options.manifestPath ?? path.join(__dirname, '..', '..', 'Cargo.toml'),
      binaryName: BINARY_NAME,
      runtime: 'provided.al2023',
      architecture: lambda.Architecture.ARM_64,
      bundling: { ...this.options.bundling, architecture: lambda.Architecture.ARM_64, profile: 'release' },
    });
  }
}

class BootstrapDirectoryCode extends SinkCode {
  constructor(private readonly directory: string) {
    super();
  }

  public createFunction(scope: Construct, id: string, props: SinkFunctionProps): lambda.Function {
    if (!fs.existsSync(path.join(this.directory, 'bootstrap'))) {
      throw new Error(`code: ${this.directory} holds no "bootstrap" (build it with \`cargo lambda build --release --arm64\`)`);
    }
    return new lambda.Function(scope, id, {
      ...props,
      code: lambda.Code.fromAsset(this.directory),
      handler: 'bootstrap',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
    });
  }
}
