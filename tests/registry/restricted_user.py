#!/usr/bin/env python3
"""Creates an IAM user that may do nothing the sink needs, on a moto server started with
INITIAL_NO_AUTH_ACTION_COUNT (moto then checks IAM permissions once that many requests have
been served), and seeds a Secrets Manager secret the user may not read.

  restricted_user.py --endpoint URL --secret NAME

Prints {"access_key_id": .., "secret_access_key": ..} for the restricted user. Before it
prints, it spends the server's remaining unauthenticated requests (reading the secret as the
user until moto answers AccessDenied), so every later request is checked. Credentials are
moto's, for the loopback server only.
"""

import argparse
import json

import boto3
from botocore.exceptions import ClientError


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--secret", required=True)
    args = p.parse_args()
    admin = dict(endpoint_url=args.endpoint, region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing")
    boto3.client("secretsmanager", **admin).create_secret(
        Name=args.secret, SecretString=json.dumps({"password": "never-shown-password"}))
    iam = boto3.client("iam", **admin)
    iam.create_user(UserName="restricted")
    key = iam.create_access_key(UserName="restricted")["AccessKey"]
    iam.put_user_policy(UserName="restricted", PolicyName="nothing-the-sink-needs", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
    }))
    user = boto3.client("secretsmanager", endpoint_url=args.endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])
    for _ in range(100):
        try:
            user.get_secret_value(SecretId=args.secret)
        except ClientError as e:
            if "AccessDenied" not in str(e):
                raise
            break
    else:
        raise SystemExit("moto never enforced IAM: was INITIAL_NO_AUTH_ACTION_COUNT set?")
    print(json.dumps({"access_key_id": key["AccessKeyId"],
                      "secret_access_key": key["SecretAccessKey"]}))


if __name__ == "__main__":
    main()
