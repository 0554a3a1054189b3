export * from './connector-config';
export * from './failure-destination';
export * from './kafka-s3-sink';
export * from './kafka-source';
export * from './sink-code';
