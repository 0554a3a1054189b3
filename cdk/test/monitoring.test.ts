import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { METRICS_NAMESPACE } from '../lib';
import { mskSink, newStack } from './helpers';

describe('alarms and dashboard', () => {
  test('function errors, OffsetLag, errored records and the oldest record age', () => {
    const { template, sink } = mskSink();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    expect(sink.alarms).toHaveLength(4);
    const fn = { Ref: Match.stringLikeRegexp('^SinkFunction') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 1,
      Dimensions: [{ Name: 'FunctionName', Value: fn }], TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'OffsetLag', Statistic: 'Maximum', Threshold: 10000, EvaluationPeriods: 3, Period: 300,
      Dimensions: [{ Name: 'FunctionName', Value: fn }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE, MetricName: 'RecordsErrored', Statistic: 'Sum', Threshold: 1,
      Dimensions: [{ Name: 'FunctionName', Value: fn }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE, MetricName: 'OldestRecordAgeMs', Statistic: 'Maximum', Threshold: 3600000, EvaluationPeriods: 3,
    });
    expect(METRICS_NAMESPACE).toBe('KafkaS3Sink');
  });

  test('thresholds and actions are configurable', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    const { template } = mskSink(
      { monitoring: { offsetLagThreshold: 50, oldestRecordAgeThreshold: Duration.minutes(10), alarmActions: [new cloudwatchActions.SnsAction(topic)] } },
      stack,
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OffsetLag', Threshold: 50, AlarmActions: [{ Ref: Match.stringLikeRegexp('^Pager') }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OldestRecordAgeMs', Threshold: 600000 });
  });

  test('the dashboard graphs records in/written/errored, record age, OffsetLag and the function', () => {
    const { template } = mskSink({ monitoring: { dashboardName: 'orders-sink' } });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const m of ['RecordsIn', 'RecordsWritten', 'RecordsErrored', 'OldestRecordAgeMs', 'OffsetLag', 'Invocations', 'Errors', 'Duration']) {
      expect(body).toContain(m);
    }
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-sink' });
  });

  test('both can be turned off', () => {
    const { template, sink } = mskSink({ monitoring: { alarms: false, dashboard: false } });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(sink.dashboard).toBeUndefined();
  });
});
