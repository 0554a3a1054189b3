//! Checks on the SAM template (`template.yaml`) that `cfn-lint` and `sam validate --lint`
//! cannot make: that the Kafka event-source mappings carry the properties AWS documents for
//! Kafka, that the IAM policy stays least-privilege, and that the function's environment is the
//! sink's configuration and nothing else.
//!
//! The template is read as CloudFormation reads it: each short-form tag (`!Ref`, `!Sub`, `!If`,
//! ...) becomes its long form (`{"Ref": ..}`, `{"Fn::Sub": ..}`, ...). A small evaluator then
//! resolves the intrinsic functions for given parameter values, so that the environment, the IAM
//! statements and the mappings are checked as they would be deployed.
//!
//! `TEMPLATE_YAML=<path>` checks another file instead (used to see these tests fail on broken
//! copies of the template).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kafka_s3_sink::config::keys;
use kafka_s3_sink::raw_config::source::key_for_env_var;
use serde_json::{Map, Value, json};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

const BINARY: &str = "kafka-s3-sink";
/// A Kafka event-source mapping invocation may last 14 minutes at most.
const KAFKA_INVOCATION_LIMIT_S: i64 = 840;

const BUCKET: &str = "sink-bucket";
const CONFIG_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/schema-registry-AbCdEf";
const CONFIG_PARAMETER: &str = "arn:aws:ssm:us-east-1:111122223333:parameter/sink/topics";
const MSK_ARN: &str = "arn:aws:kafka:us-east-1:111122223333:cluster/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1";
const KMS_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_orders-AbCdEf";
const SQS_ARN: &str = "arn:aws:sqs:us-east-1:111122223333:orders-failures";
const SNS_ARN: &str = "arn:aws:sns:us-east-1:111122223333:orders-failures";
const S3_FAILURE_ARN: &str = "arn:aws:s3:::orders-failures";

/// The only actions the function gets on the sink bucket.
const S3_WRITE_ACTIONS: &[&str] = &[
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
];
/// The network-interface actions a mapping needs; the only ones allowed on `Resource: "*"`.
const ENI_ACTIONS: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
];
/// Variables the function may set besides the sink's `S3_SINK_*` ones.
const KNOWN_NON_SINK_VARS: &[&str] = &[
    "RUST_LOG",
    "RUST_BACKTRACE",
    "AWS_LAMBDA_LOG_FORMAT",
    "AWS_LAMBDA_LOG_LEVEL",
];

// ---------------------------------------------------------------------------------------------
// Reading the template

/// The template, with short-form tags turned into their long forms.
fn template() -> Value {
    let path = std::env::var_os("TEMPLATE_YAML")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut builder = Builder::default();
    Parser::new_from_str(&text)
        .load(&mut builder, false)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    builder.document.expect("the template is empty")
}

enum Frame {
    Seq(Vec<Value>, Option<Tag>),
    Map(Map<String, Value>, Option<String>, Option<Tag>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    document: Option<Value>,
}

impl Builder {
    fn push(&mut self, value: Value, mark: Marker) {
        match self.stack.last_mut() {
            None => self.document = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, key, _)) => match key.take() {
                None => {
                    *key = Some(match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    })
                }
                Some(k) => {
                    let line = mark.line();
                    assert!(
                        map.insert(k.clone(), value).is_none(),
                        "line {line}: duplicate key {k:?}"
                    );
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, style, _, tag) => {
                let value = if style != TScalarStyle::Plain || tag.is_some() {
                    Value::String(text)
                } else {
                    match text.as_str() {
                        "" | "~" | "null" => Value::Null,
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        t => t
                            .parse::<i64>()
                            .map_or_else(|_| Value::String(text.clone()), Value::from),
                    }
                };
                self.push(long_form(tag.as_ref(), value), mark);
            }
            Event::SequenceStart(_, tag) => self.stack.push(Frame::Seq(Vec::new(), tag)),
            Event::MappingStart(_, tag) => self.stack.push(Frame::Map(Map::new(), None, tag)),
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, tag) = match self.stack.pop() {
                    Some(Frame::Seq(items, tag)) => (Value::Array(items), tag),
                    Some(Frame::Map(map, _, tag)) => (Value::Object(map), tag),
                    None => unreachable!("unbalanced YAML events"),
                };
                self.push(long_form(tag.as_ref(), value), mark);
            }
            Event::Alias(_) => panic!(
                "line {}: CloudFormation does not take YAML aliases",
                mark.line()
            ),
            _ => {}
        }
    }
}

/// `!Ref x` -> `{"Ref": x}`, `!GetAtt a.b` -> `{"Fn::GetAtt": [a, b]}`, `!Condition c` ->
/// `{"Condition": c}`, any other `!Name v` -> `{"Fn::Name": v}`; core tags (`!!str`) are dropped.
fn long_form(tag: Option<&Tag>, value: Value) -> Value {
    let Some(tag) = tag else { return value };
    if tag.handle == "!!" || tag.handle.starts_with("tag:yaml.org,2002:") {
        return value;
    }
    assert_eq!(tag.handle, "!", "unexpected tag {tag:?}");
    match (tag.suffix.as_str(), value) {
        ("GetAtt", Value::String(s)) => {
            let (resource, attribute) = s.split_once('.').expect("!GetAtt Resource.Attribute");
            json!({ "Fn::GetAtt": [resource, attribute] })
        }
        (name @ ("Ref" | "Condition"), value) => json!({ name: value }),
        (name, value) => json!({ format!("Fn::{name}"): value }),
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluating it for given parameters

/// The template with parameter values, resolving intrinsic functions as CloudFormation does.
struct Stack {
    template: Value,
    params: BTreeMap<String, Value>,
}

impl Stack {
    /// `overrides` on top of the parameters' defaults; a list parameter's value is split at `,`.
    fn new(template: &Value, overrides: &[(&str, &str)]) -> Stack {
        let declared = template["Parameters"].as_object().expect("Parameters");
        let mut params = BTreeMap::new();
        for (name, p) in declared {
            let given = overrides
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| (*v).to_owned());
            let Some(text) = given.or_else(|| p.get("Default").map(text_of)) else {
                continue;
            };
            let value = if p["Type"] == "CommaDelimitedList" {
                Value::Array(
                    text.split(',')
                        .map(|s| Value::String(s.trim().to_owned()))
                        .collect(),
                )
            } else {
                Value::String(text)
            };
            params.insert(name.clone(), value);
        }
        for (name, _) in overrides {
            assert!(
                declared.contains_key(*name),
                "the template has no parameter {name}"
            );
        }
        Stack {
            template: template.clone(),
            params,
        }
    }

    fn condition(&self, name: &str) -> bool {
        let c = self.template["Conditions"]
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.eval(c)
            .and_then(|v| v.as_bool())
            .unwrap_or_else(|| panic!("condition {name} is not a boolean"))
    }

    /// The resources that exist with these parameters, their intrinsic functions resolved.
    fn resources(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for (id, r) in self.template["Resources"].as_object().expect("Resources") {
            if let Some(c) = r.get("Condition")
                && !self.condition(c.as_str().expect("a condition name"))
            {
                continue;
            }
            out.insert(id.clone(), self.eval(r).expect("a resource"));
        }
        out
    }

    fn reference(&self, name: &str) -> Option<Value> {
        let pseudo = match name {
            "AWS::NoValue" => return None,
            "AWS::Partition" => "aws",
            "AWS::Region" => "us-east-1",
            "AWS::AccountId" => "111122223333",
            "AWS::StackName" => "sink-stack",
            "AWS::URLSuffix" => "amazonaws.com",
            _ => "",
        };
        if !pseudo.is_empty() {
            return Some(Value::String(pseudo.to_owned()));
        }
        if let Some(v) = self.params.get(name) {
            return Some(v.clone());
        }
        assert!(
            self.template["Resources"].get(name).is_some(),
            "!Ref {name}: no such parameter or resource"
        );
        Some(Value::String(format!("<{name}>")))
    }

    /// `None` stands for `AWS::NoValue`, which removes the surrounding key or list item.
    fn eval(&self, v: &Value) -> Option<Value> {
        match v {
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|i| self.eval(i)).collect(),
            )),
            Value::Object(map) if map.len() == 1 => {
                let (k, arg) = map.iter().next().unwrap();
                if k == "Ref" || k == "Condition" || k.starts_with("Fn::") {
                    self.intrinsic(k, arg)
                } else {
                    Some(Value::Object(self.eval_map(map)))
                }
            }
            Value::Object(map) => Some(Value::Object(self.eval_map(map))),
            other => Some(other.clone()),
        }
    }

    fn eval_map(&self, map: &Map<String, Value>) -> Map<String, Value> {
        map.iter()
            .filter_map(|(k, v)| Some((k.clone(), self.eval(v)?)))
            .collect()
    }

    fn list(&self, arg: &Value, n: usize, what: &str) -> Vec<Value> {
        let items = arg
            .as_array()
            .unwrap_or_else(|| panic!("{what} takes a list"));
        assert_eq!(items.len(), n, "{what} takes {n} arguments");
        items
            .iter()
            .map(|i| self.eval(i).unwrap_or(Value::Null))
            .collect()
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Option<Value> {
        let b = |cond: bool| Some(Value::Bool(cond));
        match name {
            "Ref" => self.reference(arg.as_str().expect("!Ref name")),
            "Condition" => b(self.condition(arg.as_str().expect("!Condition name"))),
            "Fn::If" => {
                let items = arg.as_array().expect("!If [condition, then, else]");
                assert_eq!(items.len(), 3, "!If takes 3 arguments");
                let chosen = if self.condition(items[0].as_str().expect("condition name")) {
                    1
                } else {
                    2
                };
                self.eval(&items[chosen])
            }
            "Fn::Equals" => {
                let a = self.list(arg, 2, "!Equals");
                b(text_of(&a[0]) == text_of(&a[1]))
            }
            "Fn::Not" => b(!self.list(arg, 1, "!Not")[0]
                .as_bool()
                .expect("!Not of a boolean")),
            "Fn::And" | "Fn::Or" => {
                let items = arg.as_array().expect("a list of conditions");
                let values: Vec<bool> = items
                    .iter()
                    .map(|i| self.eval(i).and_then(|v| v.as_bool()).expect("a boolean"))
                    .collect();
                b(if name == "Fn::And" {
                    values.iter().all(|x| *x)
                } else {
                    values.iter().any(|x| *x)
                })
            }
            "Fn::Select" => {
                let a = self.list(arg, 2, "!Select");
                let i: usize = text_of(&a[0]).parse().expect("!Select index");
                let list = a[1].as_array().expect("!Select from a list");
                Some(
                    list.get(i)
                        .unwrap_or_else(|| panic!("!Select {i} of {list:?}: out of range"))
                        .clone(),
                )
            }
            "Fn::Split" => {
                let a = self.list(arg, 2, "!Split");
                let (delim, text) = (text_of(&a[0]), text_of(&a[1]));
                Some(Value::Array(
                    text.split(delim.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                ))
            }
            "Fn::Join" => {
                let a = self.list(arg, 2, "!Join");
                let parts: Vec<String> = a[1]
                    .as_array()
                    .expect("!Join a list")
                    .iter()
                    .map(text_of)
                    .collect();
                Some(Value::String(parts.join(&text_of(&a[0]))))
            }
            "Fn::Sub" => {
                let (text, vars) = match arg {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Array(a) if a.len() == 2 => (
                        a[0].as_str().expect("!Sub text").to_owned(),
                        self.eval_map(a[1].as_object().expect("!Sub variables")),
                    ),
                    other => panic!("!Sub {other}"),
                };
                Some(Value::String(self.substitute(&text, &vars)))
            }
            "Fn::GetAtt" => {
                let a = arg.as_array().expect("!GetAtt [resource, attribute]");
                Some(Value::String(format!(
                    "<{}.{}>",
                    text_of(&a[0]),
                    text_of(&a[1])
                )))
            }
            other => panic!("{other} is not evaluated by this test; extend Stack::intrinsic"),
        }
    }

    fn substitute(&self, text: &str, vars: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("unclosed ${") + start;
            let name = &rest[start + 2..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(v) = vars.get(name) {
                out.push_str(&text_of(v));
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&format!("<{resource}.{attribute}>"));
            } else {
                out.push_str(&text_of(
                    &self.reference(name).expect("${AWS::NoValue} in !Sub"),
                ));
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// A scalar as CloudFormation passes it: as text.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A string-or-list IAM field (`Action`, `Resource`) as a list.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(text_of).collect(),
        Value::Null => Vec::new(),
        other => vec![text_of(other)],
    }
}

/// Parameter sets covering every branch of the template's conditions.
fn scenarios() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let base = [("BucketName", BUCKET), ("KafkaTopic", "orders")];
    let with = |extra: &[(&'static str, &'static str)]| {
        base.iter().chain(extra).copied().collect::<Vec<_>>()
    };
    vec![
        ("msk, defaults", with(&[("MskClusterArn", MSK_ARN)])),
        (
            "msk, SSE-KMS, group, SQS on-failure, nested topics.dir, config providers",
            with(&[
                ("MskClusterArn", MSK_ARN),
                ("TopicsDir", "raw/kafka"),
                ("ConsumerGroupId", "orders-sink"),
                ("SseAlgorithm", "aws:kms"),
                ("KmsKeyArn", KMS_ARN),
                ("OnFailureDestinationArn", SQS_ARN),
                ("GlueRegistryName", "orders-registry"),
                ("ConfigSecretArns", CONFIG_SECRET),
                ("ConfigParameterArns", CONFIG_PARAMETER),
                ("ConfigKmsKeyArn", KMS_ARN),
                (
                    "MappingSchemaRegistryUri",
                    "arn:aws:glue:us-east-1:111122223333:registry/orders-registry",
                ),
            ]),
        ),
        (
            "self-managed in a VPC, S3 on-failure",
            with(&[
                ("KafkaMode", "self-managed"),
                (
                    "BootstrapServers",
                    "kafka-1.internal:9096,kafka-2.internal:9096",
                ),
                ("SaslScramSecretArn", SECRET_ARN),
                ("SubnetIds", "subnet-0a,subnet-0b,subnet-0c"),
                ("SecurityGroupId", "sg-0123456789abcdef0"),
                ("OnFailureDestinationArn", S3_FAILURE_ARN),
                ("MappingSchemaRegistryUri", "https://registry.internal:8081"),
                (
                    "MappingSchemaRegistrySecretArn",
                    "arn:aws:secretsmanager:us-east-1:111122223333:secret:registry-basic-AbCdEf",
                ),
            ]),
        ),
        (
            "self-managed over the internet, SNS on-failure, bucket-default KMS key",
            with(&[
                ("KafkaMode", "self-managed"),
                ("BootstrapServers", "kafka-1.example.com:9096"),
                ("SaslScramSecretArn", SECRET_ARN),
                ("OnFailureDestinationArn", SNS_ARN),
                ("KmsKeyArn", KMS_ARN),
            ]),
        ),
    ]
}

/// Every IAM statement of the deployed stack, with the policy it came from.
fn statements(resources: &BTreeMap<String, Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (id, r) in resources {
        let props = &r["Properties"];
        let documents: Vec<&Value> = match r["Type"].as_str() {
            Some("AWS::IAM::Role") => props["Policies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| &p["PolicyDocument"])
                .collect(),
            Some("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => vec![&props["PolicyDocument"]],
            Some("AWS::Serverless::Function") => {
                assert!(
                    props.get("Policies").is_none(),
                    "{id}: use the explicit role so its statements are checked"
                );
                Vec::new()
            }
            _ => Vec::new(),
        };
        for d in documents {
            let list = match &d["Statement"] {
                Value::Array(items) => items.clone(),
                single => vec![single.clone()],
            };
            out.extend(list.into_iter().map(|s| (id.clone(), s)));
        }
    }
    out
}

fn environment(resources: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    let vars = &resources["SinkFunction"]["Properties"]["Environment"]["Variables"];
    vars.as_object()
        .expect("Environment.Variables")
        .iter()
        .map(|(k, v)| (k.clone(), text_of(v)))
        .collect()
}

/// The branches an `!If` can take (`AWS::NoValue` left out), recursively; a plain value is its
/// own only branch.
fn branches(v: &Value) -> Vec<&Value> {
    if let Some(args) = v.get("Fn::If").and_then(Value::as_array) {
        return args[1..].iter().flat_map(branches).collect();
    }
    if v.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
        return Vec::new();
    }
    vec![v]
}

fn resources_of_type<'t>(t: &'t Value, ty: &str) -> Vec<(&'t String, &'t Value)> {
    t["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The function

#[test]
fn function_runs_the_rust_binary_on_arm64() {
    let t = template();
    let functions = resources_of_type(&t, "AWS::Serverless::Function");
    assert_eq!(functions.len(), 1, "one function");
    let (_, f) = functions[0];
    let p = &f["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Architectures"], json!(["arm64"]));
    assert_eq!(p["Handler"], "bootstrap");
    assert_eq!(p["CodeUri"], ".");
    assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda");
    assert_eq!(f["Metadata"]["BuildProperties"]["Binary"], BINARY);
    assert!(
        option_env!("CARGO_BIN_EXE_kafka-s3-sink").is_some(),
        "the crate builds no binary {BINARY}"
    );
    assert_eq!(
        p["LoggingConfig"],
        json!({"LogFormat": "JSON", "ApplicationLogLevel": "INFO"})
    );
    assert_eq!(p["MemorySize"], json!({"Ref": "MemorySize"}));
    assert_eq!(t["Parameters"]["MemorySize"]["Default"], 1024);
}

#[test]
fn timeout_fits_a_kafka_invocation() {
    let t = template();
    let (_, f) = resources_of_type(&t, "AWS::Serverless::Function")[0];
    assert_eq!(f["Properties"]["Timeout"], json!({"Ref": "Timeout"}));
    let p = &t["Parameters"]["Timeout"];
    let max = p["MaxValue"]
        .as_i64()
        .expect("Timeout needs a numeric MaxValue");
    let default = p["Default"]
        .as_i64()
        .expect("Timeout needs a numeric Default");
    assert!(
        max <= KAFKA_INVOCATION_LIMIT_S,
        "Timeout MaxValue {max} > {KAFKA_INVOCATION_LIMIT_S}"
    );
    assert!(default <= max, "Timeout Default {default} > MaxValue {max}");
    assert_eq!(default, 300);
}

#[test]
fn environment_is_sink_keys_or_known_lambda_variables() {
    let t = template();
    let (_, f) = resources_of_type(&t, "AWS::Serverless::Function")[0];
    let vars = f["Properties"]["Environment"]["Variables"]
        .as_object()
        .expect("Environment.Variables");
    for name in vars.keys() {
        assert!(
            name.starts_with("S3_SINK_") || KNOWN_NON_SINK_VARS.contains(&name.as_str()),
            "{name} is neither an S3_SINK_ variable nor a known Lambda/AWS one"
        );
    }
    let globals = t
        .get("Globals")
        .and_then(|g| g["Function"].get("Environment"));
    assert!(
        globals.is_none(),
        "Globals.Function.Environment would bypass this check"
    );
}

#[test]
fn every_sink_variable_names_a_key_the_sink_knows() {
    let t = template();
    let (_, f) = resources_of_type(&t, "AWS::Serverless::Function")[0];
    let vars = f["Properties"]["Environment"]["Variables"]
        .as_object()
        .expect("Environment.Variables");
    for name in vars.keys().filter(|n| n.starts_with("S3_SINK_")) {
        if name == "S3_SINK_CONFIG" || name == "S3_SINK_CONFIG_FILE" {
            continue;
        }
        let key = key_for_env_var(name).unwrap_or_else(|| panic!("{name} sets no key"));
        assert!(
            keys::spec(&key).is_some(),
            "{name} sets {key:?}, which the sink rejects as unknown"
        );
    }
}

#[test]
fn empty_optional_parameters_set_no_variables() {
    let t = template();
    let stack = Stack::new(&t, &scenarios()[0].1);
    let env = environment(&stack.resources());
    let expected = BTreeMap::from([
        ("S3_SINK_S3_BUCKET_NAME", BUCKET),
        ("S3_SINK_TOPICS_DIR", "topics"),
        ("S3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE", "true"),
        ("S3_SINK_FLUSH_SIZE", "1000"),
        ("S3_SINK_PARTITIONER_CLASS", "DefaultPartitioner"),
        ("S3_SINK_TIMEZONE", "UTC"),
        ("S3_SINK_LOCALE", "en_US"),
        ("S3_SINK_TIMESTAMP_EXTRACTOR", "Record"),
        ("S3_SINK_S3_COMPRESSION_TYPE", "none"),
    ]);
    let expected: BTreeMap<String, String> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(env, expected);

    // Each optional parameter, once given, sets its variable to its value.
    let optional = [
        (
            "PartitionFieldName",
            "customer_id",
            "S3_SINK_PARTITION_FIELD_NAME",
        ),
        (
            "PathFormat",
            "'year'=YYYY/'month'=MM",
            "S3_SINK_PATH_FORMAT",
        ),
        (
            "PartitionDurationMs",
            "86400000",
            "S3_SINK_PARTITION_DURATION_MS",
        ),
        ("TimestampField", "dt", "S3_SINK_TIMESTAMP_FIELD"),
        (
            "ValueConverter",
            "StringConverter",
            "S3_SINK_VALUE_CONVERTER",
        ),
        (
            "ValueConverterSchemasEnable",
            "false",
            "S3_SINK_VALUE_CONVERTER_SCHEMAS_ENABLE",
        ),
        ("SseAlgorithm", "AES256", "S3_SINK_S3_SSEA_NAME"),
        (
            "ConnectorConfigJson",
            r#"{"flush.size":"1"}"#,
            "S3_SINK_CONFIG",
        ),
    ];
    for (param, value, var) in optional {
        let mut params = scenarios()[0].1.clone();
        params.push((param, value));
        let env = environment(&Stack::new(&t, &params).resources());
        assert_eq!(
            env.get(var).map(String::as_str),
            Some(value),
            "{param}={value:?}"
        );
    }
    // The KMS key id goes with aws:kms only.
    let mut params = scenarios()[0].1.clone();
    params.push(("KmsKeyArn", KMS_ARN));
    assert!(
        !environment(&Stack::new(&t, &params).resources())
            .contains_key("S3_SINK_S3_SSE_KMS_KEY_ID")
    );
    params.push(("SseAlgorithm", "aws:kms"));
    let env = environment(&Stack::new(&t, &params).resources());
    assert_eq!(
        env.get("S3_SINK_S3_SSE_KMS_KEY_ID").map(String::as_str),
        Some(KMS_ARN)
    );
}

#[test]
fn connector_json_is_not_overridden_by_defaults() {
    let t = template();
    let mut params = scenarios()[0].1.clone();
    params.push((
        "ConnectorConfigJson",
        r#"{"flush.size":"1","partitioner.class":"DailyPartitioner"}"#,
    ));
    let env = environment(&Stack::new(&t, &params).resources());
    let names: Vec<&str> = env.keys().map(String::as_str).collect();
    // The bucket and prefix always win: the IAM policy is scoped to them.
    assert_eq!(
        names,
        [
            "S3_SINK_CONFIG",
            "S3_SINK_LAMBDA_PARTIAL_BATCH_RESPONSE",
            "S3_SINK_S3_BUCKET_NAME",
            "S3_SINK_TOPICS_DIR"
        ]
    );
    // A parameter changed from its default still overrides the JSON.
    params.push(("FlushSize", "5"));
    let env = environment(&Stack::new(&t, &params).resources());
    assert_eq!(env.get("S3_SINK_FLUSH_SIZE").map(String::as_str), Some("5"));
}

// ---------------------------------------------------------------------------------------------
// The event-source mappings

/// Properties AWS documents for `AWS::Lambda::EventSourceMapping` that apply to Kafka sources.
const KAFKA_COMMON: &[&str] = &[
    "FunctionName",
    "Topics",
    "StartingPosition",
    "StartingPositionTimestamp",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "FunctionResponseTypes",
    "ProvisionedPollerConfig",
    "DestinationConfig",
    "SourceAccessConfigurations",
    "Enabled",
    "FilterCriteria",
    "KmsKeyArn",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "MetricsConfig",
    "LoggingConfig",
    "Tags",
];

fn keys_of(v: &Value) -> BTreeSet<String> {
    branches(v)
        .into_iter()
        .flat_map(|b| b.as_object().into_iter().flat_map(|m| m.keys().cloned()))
        .collect()
}

fn check_mapping(id: &str, m: &Value, own: &[&str], consumer_config: &str) {
    let p = &m["Properties"];
    let allowed: BTreeSet<&str> = KAFKA_COMMON.iter().chain(own).copied().collect();
    for key in keys_of(p) {
        assert!(
            allowed.contains(key.as_str()),
            "{id}: {key} is not a Kafka event-source mapping property"
        );
    }
    for key in [
        "FunctionName",
        "Topics",
        "StartingPosition",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
    ]
    .iter()
    .chain(own)
    {
        assert!(p.get(*key).is_some(), "{id}: {key} missing");
    }
    assert_eq!(p["FunctionName"], json!({"Ref": "SinkFunction"}), "{id}");
    assert_eq!(
        p["Topics"],
        json!([{"Ref": "KafkaTopic"}]),
        "{id}: one topic per mapping"
    );
    assert_eq!(
        p["StartingPosition"],
        json!({"Ref": "StartingPosition"}),
        "{id}"
    );
    assert_eq!(p["BatchSize"], json!({"Ref": "BatchSize"}), "{id}");
    assert_eq!(
        p["MaximumBatchingWindowInSeconds"],
        json!({"Ref": "MaximumBatchingWindowInSeconds"}),
        "{id}"
    );
    let types = p["FunctionResponseTypes"]
        .as_array()
        .unwrap_or_else(|| panic!("{id}: FunctionResponseTypes"));
    assert!(
        types.contains(&json!("ReportBatchItemFailures")),
        "{id}: ReportBatchItemFailures"
    );
    // Partial batch responses on Kafka mappings need provisioned mode.
    assert_eq!(
        keys_of(&p["ProvisionedPollerConfig"]),
        BTreeSet::from(["MaximumPollers".into(), "MinimumPollers".into()])
    );
    let group = p
        .get(consumer_config)
        .unwrap_or_else(|| panic!("{id}: {consumer_config} missing"));
    assert_eq!(
        keys_of(group),
        BTreeSet::from([
            "ConsumerGroupId".to_owned(),
            "SchemaRegistryConfig".to_owned()
        ]),
        "{id}: {consumer_config}"
    );
    for d in branches(&p["DestinationConfig"]) {
        assert_eq!(
            keys_of(d),
            BTreeSet::from(["OnFailure".to_owned()]),
            "{id}: DestinationConfig"
        );
        assert_eq!(
            keys_of(&d["OnFailure"]),
            BTreeSet::from(["Destination".to_owned()]),
            "{id}: OnFailure"
        );
    }
    let m_condition = m["Condition"]
        .as_str()
        .unwrap_or_else(|| panic!("{id}: needs a Condition"));
    let policy = m["DependsOn"]
        .as_str()
        .unwrap_or_else(|| panic!("{id}: must wait for its access policy"));
    let t = template();
    assert_eq!(
        t["Resources"][policy]["Type"], "AWS::IAM::Policy",
        "{id}: DependsOn {policy}"
    );
    assert_eq!(
        t["Resources"][policy]["Condition"], m_condition,
        "{id}: {policy} exists when the mapping does"
    );
}

#[test]
fn kafka_mappings_use_documented_property_names() {
    let t = template();
    let mappings = resources_of_type(&t, "AWS::Lambda::EventSourceMapping");
    assert_eq!(mappings.len(), 2, "one MSK and one self-managed mapping");
    let msk: Vec<_> = mappings
        .iter()
        .filter(|(_, m)| m["Properties"].get("EventSourceArn").is_some())
        .collect();
    let smk: Vec<_> = mappings
        .iter()
        .filter(|(_, m)| m["Properties"].get("SelfManagedEventSource").is_some())
        .collect();
    assert_eq!(
        (msk.len(), smk.len()),
        (1, 1),
        "one MSK mapping and one self-managed mapping"
    );
    let (msk_id, msk) = msk[0];
    let (smk_id, smk) = smk[0];

    check_mapping(
        msk_id,
        msk,
        &["EventSourceArn", "AmazonManagedKafkaEventSourceConfig"],
        "AmazonManagedKafkaEventSourceConfig",
    );
    assert_eq!(
        msk["Properties"]["EventSourceArn"],
        json!({"Ref": "MskClusterArn"})
    );

    check_mapping(
        smk_id,
        smk,
        &[
            "SelfManagedEventSource",
            "SelfManagedKafkaEventSourceConfig",
            "SourceAccessConfigurations",
        ],
        "SelfManagedKafkaEventSourceConfig",
    );
    assert_eq!(
        smk["Properties"]["SelfManagedEventSource"],
        json!({"Endpoints": {"KafkaBootstrapServers": {"Ref": "BootstrapServers"}}})
    );
    for access in smk["Properties"]["SourceAccessConfigurations"]
        .as_array()
        .expect("a list")
        .iter()
        .flat_map(branches)
    {
        assert_eq!(
            keys_of(access),
            BTreeSet::from(["Type".to_owned(), "URI".to_owned()]),
            "{access}"
        );
        let ty = access["Type"].as_str().expect("Type");
        assert!(
            ["SASL_SCRAM_512_AUTH", "VPC_SUBNET", "VPC_SECURITY_GROUP"].contains(&ty),
            "{ty}"
        );
    }
}

#[test]
fn no_mapping_consumes_in_queue_mode() {
    // Queue mode (Kafka share groups) gives up per-partition order, which the file rule needs.
    let t = template();
    for (id, m) in resources_of_type(&t, "AWS::Lambda::EventSourceMapping") {
        for config in [
            "AmazonManagedKafkaEventSourceConfig",
            "SelfManagedKafkaEventSourceConfig",
        ] {
            for c in branches(&m["Properties"][config]) {
                let mode = c.get("ConsumptionMode");
                assert!(
                    mode.is_none() || mode == Some(&json!("Stream")),
                    "{id}: {config}.ConsumptionMode {mode:?}: Queue mode breaks per-partition order"
                );
            }
        }
    }
}

#[test]
fn each_mode_deploys_only_its_mapping() {
    let t = template();
    for (name, params) in scenarios() {
        let resources = Stack::new(&t, &params).resources();
        let msk = name.starts_with("msk");
        assert_eq!(
            resources.contains_key("MskEventSourceMapping"),
            msk,
            "{name}"
        );
        assert_eq!(resources.contains_key("MskAccessPolicy"), msk, "{name}");
        assert_eq!(
            resources.contains_key("SelfManagedEventSourceMapping"),
            !msk,
            "{name}"
        );
        assert_eq!(
            resources.contains_key("SelfManagedAccessPolicy"),
            !msk,
            "{name}"
        );
    }
}

#[test]
fn self_managed_mapping_lists_secret_subnets_and_security_group() {
    let t = template();
    let resources = Stack::new(&t, &scenarios()[2].1).resources();
    let p = &resources["SelfManagedEventSourceMapping"]["Properties"];
    assert_eq!(
        p["SourceAccessConfigurations"],
        json!([
            {"Type": "SASL_SCRAM_512_AUTH", "URI": SECRET_ARN},
            {"Type": "VPC_SUBNET", "URI": "subnet:subnet-0a"},
            {"Type": "VPC_SUBNET", "URI": "subnet:subnet-0b"},
            {"Type": "VPC_SUBNET", "URI": "subnet:subnet-0c"},
            {"Type": "VPC_SECURITY_GROUP", "URI": "security_group:sg-0123456789abcdef0"},
        ])
    );
    assert_eq!(
        p["SelfManagedEventSource"]["Endpoints"]["KafkaBootstrapServers"],
        json!(["kafka-1.internal:9096", "kafka-2.internal:9096"])
    );
    assert_eq!(
        p["DestinationConfig"],
        json!({"OnFailure": {"Destination": S3_FAILURE_ARN}})
    );

    // Without subnets: the secret only.
    let resources = Stack::new(&t, &scenarios()[3].1).resources();
    let p = &resources["SelfManagedEventSourceMapping"]["Properties"];
    assert_eq!(
        p["SourceAccessConfigurations"],
        json!([{"Type": "SASL_SCRAM_512_AUTH", "URI": SECRET_ARN}])
    );
}

// ---------------------------------------------------------------------------------------------
// IAM

#[test]
fn s3_writes_are_limited_to_topics_dir() {
    let t = template();
    for (name, params) in scenarios() {
        let stack = Stack::new(&t, &params);
        let topics_dir = text_of(&stack.params["TopicsDir"]);
        let prefix = format!("arn:aws:s3:::{BUCKET}/{topics_dir}/*");
        let on_failure = params
            .iter()
            .find(|(k, _)| *k == "OnFailureDestinationArn")
            .map(|(_, v)| *v);
        let mut write_statements = 0;
        for (policy, s) in statements(&stack.resources()) {
            let actions = strings(&s["Action"]);
            if !actions
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("s3:"))
            {
                continue;
            }
            let resources = strings(&s["Resource"]);
            assert!(
                s.get("NotAction").is_none() && s.get("NotResource").is_none(),
                "{name}: {policy}: {s}"
            );
            if resources.iter().all(|r| r == &prefix) {
                let got: BTreeSet<&str> = actions.iter().map(String::as_str).collect();
                assert_eq!(
                    got,
                    S3_WRITE_ACTIONS.iter().copied().collect(),
                    "{name}: {policy}: actions on {prefix}"
                );
                write_statements += 1;
            } else {
                // Only the on-failure bucket, and only what Lambda needs to deliver there.
                let bucket = on_failure.filter(|a| a.starts_with("arn:aws:s3:::"));
                let bucket = bucket
                    .unwrap_or_else(|| panic!("{name}: {policy}: S3 access outside {prefix}: {s}"));
                for r in &resources {
                    assert!(
                        r == bucket || *r == format!("{bucket}/*"),
                        "{name}: {policy}: {r}"
                    );
                }
                for a in &actions {
                    assert!(
                        a == "s3:PutObject" || a == "s3:ListBucket",
                        "{name}: {policy}: {a} on {bucket}"
                    );
                }
            }
        }
        assert_eq!(write_statements, 1, "{name}: one statement writes {prefix}");
    }
}

#[test]
fn topics_dir_pattern_keeps_the_prefix_tight() {
    let t = template();
    let pattern = t["Parameters"]["TopicsDir"]["AllowedPattern"]
        .as_str()
        .expect("TopicsDir needs an AllowedPattern");
    let re = regex_lite::Regex::new(pattern).expect("a valid pattern");
    for ok in ["topics", "raw/kafka", "a_b-c.d", "t"] {
        assert!(re.is_match(ok), "{ok:?} should be accepted");
    }
    for bad in [
        "", "*", "topics/*", "/topics", "topics/", "..", "a/../b", ".", "a//b", "a b",
    ] {
        assert!(
            !re.is_match(bad),
            "{bad:?} would widen or break the IAM resource"
        );
    }
}

#[test]
fn no_wildcards_where_a_resource_can_be_named() {
    let t = template();
    for (name, params) in scenarios() {
        for (policy, s) in statements(&Stack::new(&t, &params).resources()) {
            assert_eq!(s["Effect"], "Allow", "{name}: {policy}: {s}");
            let actions = strings(&s["Action"]);
            let resources = strings(&s["Resource"]);
            assert!(
                !actions.is_empty() && !resources.is_empty(),
                "{name}: {policy}: {s}"
            );
            for a in &actions {
                assert!(!a.contains('*'), "{name}: {policy}: wildcard action {a}");
                let lower = a.to_ascii_lowercase();
                for forbidden in [
                    "s3:getobject",
                    "s3:deleteobject",
                    "s3:putobjectacl",
                    "s3:putbucket",
                ] {
                    assert!(!lower.starts_with(forbidden), "{name}: {policy}: {a}");
                }
            }
            if resources.iter().any(|r| r == "*") {
                // Only the mapping's network-interface actions, which take no resource here.
                for a in &actions {
                    assert!(
                        ENI_ACTIONS.contains(&a.as_str()),
                        "{name}: {policy}: {a} on Resource \"*\""
                    );
                }
            }
            for r in &resources {
                let services = [
                    "s3:",
                    "kms:",
                    "secretsmanager:",
                    "kafka-cluster:",
                    "kafka:",
                    "sqs:",
                    "sns:",
                ];
                if actions
                    .iter()
                    .any(|a| services.iter().any(|s| a.starts_with(s)))
                {
                    assert!(
                        r.starts_with("arn:aws:"),
                        "{name}: {policy}: {r} for {actions:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn kms_and_secrets_are_granted_on_the_given_arns_only() {
    let t = template();
    for (name, params) in scenarios() {
        let given = |k: &str| params.iter().find(|(p, _)| *p == k).map(|(_, v)| *v);
        let mut kms = Vec::new();
        let mut kms_config = Vec::new();
        let mut secrets = Vec::new();
        for (_, s) in statements(&Stack::new(&t, &params).resources()) {
            let actions = strings(&s["Action"]);
            // The config-provider key only decrypts; the SSE key also generates data keys.
            if s["Sid"] == "DecryptConfigValues" {
                assert_eq!(actions, ["kms:Decrypt"], "{name}");
                kms_config.extend(strings(&s["Resource"]));
            } else if actions.iter().any(|a| a.starts_with("kms:")) {
                assert_eq!(actions, ["kms:GenerateDataKey", "kms:Decrypt"], "{name}");
                kms.extend(strings(&s["Resource"]));
            }
            if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                assert_eq!(actions, ["secretsmanager:GetSecretValue"], "{name}");
                secrets.extend(strings(&s["Resource"]));
            }
        }
        assert_eq!(
            kms,
            given("KmsKeyArn").into_iter().collect::<Vec<_>>(),
            "{name}: KMS"
        );
        assert_eq!(
            kms_config,
            given("ConfigKmsKeyArn").into_iter().collect::<Vec<_>>(),
            "{name}: KMS for config values"
        );
        secrets.sort();
        let mut want: Vec<&str> = given("SaslScramSecretArn")
            .into_iter()
            .chain(given("ConfigSecretArns"))
            .chain(given("MappingSchemaRegistrySecretArn"))
            .collect();
        want.sort();
        assert_eq!(secrets, want, "{name}: secrets");
    }
}

#[test]
fn msk_access_names_the_cluster_topic_and_group() {
    let t = template();
    let cluster = MSK_ARN;
    let topic = "arn:aws:kafka:us-east-1:111122223333:topic/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1/orders";
    let group = |g: &str| {
        format!(
            "arn:aws:kafka:us-east-1:111122223333:group/orders-cluster/5e1f9a3c-1111-2222-3333-444455556666-1/{g}"
        )
    };
    for (scenario, group_arn) in [(0, group("*")), (1, group("orders-sink"))] {
        let (name, params) = &scenarios()[scenario];
        let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (_, s) in statements(&Stack::new(&t, params).resources()) {
            for a in strings(&s["Action"])
                .into_iter()
                .filter(|a| a.starts_with("kafka"))
            {
                granted
                    .entry(a)
                    .or_default()
                    .extend(strings(&s["Resource"]));
            }
        }
        let on = |arns: &[&str]| {
            arns.iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>()
        };
        let expected = BTreeMap::from([
            ("kafka-cluster:Connect".to_owned(), on(&[cluster])),
            (
                "kafka-cluster:DescribeClusterDynamicConfiguration".to_owned(),
                on(&[cluster]),
            ),
            ("kafka-cluster:DescribeTopic".to_owned(), on(&[topic])),
            ("kafka-cluster:ReadData".to_owned(), on(&[topic])),
            ("kafka-cluster:DescribeGroup".to_owned(), on(&[&group_arn])),
            ("kafka-cluster:AlterGroup".to_owned(), on(&[&group_arn])),
            ("kafka:DescribeCluster".to_owned(), on(&[cluster])),
            ("kafka:DescribeClusterV2".to_owned(), on(&[cluster])),
            ("kafka:GetBootstrapBrokers".to_owned(), on(&[cluster])),
        ]);
        assert_eq!(granted, expected, "{name}");
    }
    // Self-managed stacks get no MSK access.
    for (name, params) in &scenarios()[2..] {
        let kafka = statements(&Stack::new(&t, params).resources())
            .into_iter()
            .any(|(_, s)| strings(&s["Action"]).iter().any(|a| a.starts_with("kafka")));
        assert!(!kafka, "{name}");
    }
}

#[test]
fn on_failure_destination_gets_only_its_delivery_permission() {
    let t = template();
    let cases = [
        (SQS_ARN, vec!["sqs:SendMessage"]),
        (SNS_ARN, vec!["sns:Publish"]),
        (S3_FAILURE_ARN, vec!["s3:PutObject", "s3:ListBucket"]),
    ];
    for (arn, want) in cases {
        let mut params = scenarios()[0].1.clone();
        params.push(("OnFailureDestinationArn", arn));
        let resources = Stack::new(&t, &params).resources();
        let destination = &resources["MskEventSourceMapping"]["Properties"]["DestinationConfig"];
        assert_eq!(destination, &json!({"OnFailure": {"Destination": arn}}));
        let on_destination: Vec<String> = statements(&resources)
            .into_iter()
            .filter(|(_, s)| {
                strings(&s["Resource"])
                    .iter()
                    .any(|r| r == arn || r.starts_with(&format!("{arn}/")))
            })
            .flat_map(|(_, s)| strings(&s["Action"]))
            .collect();
        assert_eq!(on_destination, want, "{arn}");
    }
    // None given: no destination, no statement for one.
    let resources = Stack::new(&t, &scenarios()[0].1).resources();
    assert!(
        resources["MskEventSourceMapping"]["Properties"]
            .get("DestinationConfig")
            .is_none()
    );
    let services: BTreeSet<String> = statements(&resources)
        .into_iter()
        .flat_map(|(_, s)| strings(&s["Action"]))
        .filter_map(|a| a.split_once(':').map(|(svc, _)| svc.to_owned()))
        .collect();
    assert!(
        !services.contains("sqs") && !services.contains("sns"),
        "{services:?}"
    );
}

#[test]
fn scenarios_cover_every_conditional_statement() {
    // Every statement the template can produce shows up in some scenario above, so the IAM
    // checks see all of them.
    let t = template();
    let mut declared = BTreeSet::new();
    for (id, r) in t["Resources"].as_object().expect("Resources") {
        let p = &r["Properties"];
        let docs: Vec<&Value> = match r["Type"].as_str() {
            Some("AWS::IAM::Role") => p["Policies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| &d["PolicyDocument"])
                .collect(),
            Some("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => vec![&p["PolicyDocument"]],
            _ => Vec::new(),
        };
        for d in docs {
            for s in d["Statement"]
                .as_array()
                .expect("Statement list")
                .iter()
                .flat_map(branches)
            {
                let sid = s["Sid"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: every statement needs a Sid: {s}"));
                declared.insert(format!("{id}/{sid}"));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (_, params) in scenarios() {
        for (id, s) in statements(&Stack::new(&t, &params).resources()) {
            seen.insert(format!("{id}/{}", text_of(&s["Sid"])));
        }
    }
    assert_eq!(declared, seen);
}

/// Config providers: the role may read exactly the secrets and parameters listed, and decrypt
/// with the listed key; without them it reads no secret but the SCRAM one of its mapping.
#[test]
fn config_provider_grants_are_exactly_the_listed_secrets_and_parameters() {
    let t = template();
    let grants = |params: &[(&str, &str)], action: &str| -> Vec<String> {
        let mut all = scenarios()[0].1.clone();
        all.extend_from_slice(params);
        statements(&Stack::new(&t, &all).resources())
            .into_iter()
            .filter(|(_, s)| strings(&s["Action"]).iter().any(|a| a == action))
            .flat_map(|(_, s)| strings(&s["Resource"]))
            .collect()
    };
    assert!(grants(&[], "secretsmanager:GetSecretValue").is_empty());
    assert!(grants(&[], "ssm:GetParameter").is_empty());
    let listed = [
        ("ConfigSecretArns", CONFIG_SECRET),
        ("ConfigParameterArns", CONFIG_PARAMETER),
        ("ConfigKmsKeyArn", KMS_ARN),
    ];
    assert_eq!(
        grants(&listed, "secretsmanager:GetSecretValue"),
        [CONFIG_SECRET]
    );
    assert_eq!(grants(&listed, "ssm:GetParameter"), [CONFIG_PARAMETER]);
    assert_eq!(grants(&listed, "kms:Decrypt"), [KMS_ARN]);
}

#[test]
fn the_mappings_schema_registry_is_configured_granted_and_told_to_the_sink() {
    let t = template();
    const GLUE_REGISTRY: &str = "arn:aws:glue:us-east-1:111122223333:registry/orders-registry";
    const REGISTRY_SECRET: &str =
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:registry-basic-AbCdEf";
    // Off by default: no SchemaRegistryConfig, no variable, no grant.
    let resources = Stack::new(&t, &scenarios()[0].1).resources();
    let msk = &resources["MskEventSourceMapping"]["Properties"];
    assert!(
        msk.get("AmazonManagedKafkaEventSourceConfig").is_none(),
        "{msk}"
    );
    assert!(!environment(&resources).contains_key("S3_SINK_LAMBDA_EVENT_RECORD_FORMAT"));

    // A Glue registry, SOURCE, keys validated too, on the MSK mapping.
    let mut params = scenarios()[0].1.clone();
    params.extend([
        ("MappingSchemaRegistryUri", GLUE_REGISTRY),
        ("MappingEventRecordFormat", "SOURCE"),
        ("MappingValidatesKey", "true"),
    ]);
    let resources = Stack::new(&t, &params).resources();
    let config =
        &resources["MskEventSourceMapping"]["Properties"]["AmazonManagedKafkaEventSourceConfig"];
    assert_eq!(
        config,
        &json!({"SchemaRegistryConfig": {
            "SchemaRegistryURI": GLUE_REGISTRY,
            "EventRecordFormat": "SOURCE",
            "SchemaValidationConfigs": [{"Attribute": "KEY"}, {"Attribute": "VALUE"}]
        }})
    );
    assert_eq!(
        environment(&resources)["S3_SINK_LAMBDA_EVENT_RECORD_FORMAT"],
        "SOURCE"
    );
    let glue: Vec<(Vec<String>, Vec<String>)> = statements(&resources)
        .into_iter()
        .filter(|(_, s)| strings(&s["Action"]).iter().any(|a| a.starts_with("glue:")))
        .map(|(_, s)| (strings(&s["Action"]), strings(&s["Resource"])))
        .collect();
    assert_eq!(
        glue,
        vec![(
            vec![
                "glue:GetRegistry".to_owned(),
                "glue:GetSchemaVersion".to_owned()
            ],
            vec![
                GLUE_REGISTRY.to_owned(),
                "arn:aws:glue:us-east-1:111122223333:schema/orders-registry/*".to_owned()
            ]
        )]
    );

    // A Confluent registry with basic auth, JSON, on the self-managed mapping.
    let params = scenarios()[2].1.clone();
    assert!(params.contains(&("MappingSchemaRegistrySecretArn", REGISTRY_SECRET)));
    let resources = Stack::new(&t, &params).resources();
    let config = &resources["SelfManagedEventSourceMapping"]["Properties"]["SelfManagedKafkaEventSourceConfig"];
    assert_eq!(
        config,
        &json!({"SchemaRegistryConfig": {
            "SchemaRegistryURI": "https://registry.internal:8081",
            "EventRecordFormat": "JSON",
            "AccessConfigs": [{"Type": "BASIC_AUTH", "URI": REGISTRY_SECRET}],
            "SchemaValidationConfigs": [{"Attribute": "VALUE"}]
        }})
    );
    let secret_reads: Vec<Vec<String>> = statements(&resources)
        .into_iter()
        .filter(|(_, s)| strings(&s["Resource"]).contains(&REGISTRY_SECRET.to_owned()))
        .map(|(_, s)| strings(&s["Action"]))
        .collect();
    assert_eq!(
        secret_reads,
        vec![vec!["secretsmanager:GetSecretValue".to_owned()]]
    );
    assert!(
        !statements(&resources)
            .iter()
            .any(|(_, s)| strings(&s["Action"]).iter().any(|a| a.starts_with("glue:"))),
        "no Glue access for a Confluent registry"
    );
}
