#!/usr/bin/env python3
"""Prepares a moto server for the web-identity test, as an AWS account admin would.

Usage: moto_web_identity.py ENDPOINT BUCKET KEY MODEL_FILE

Creates the bucket and the object, a role that may read it (inline policy s3:GetObject on
the bucket's objects) and a role that may not, both trusting an OIDC provider for web
identity. moto enforces nothing yet: the test turns its IAM checks on afterwards.
Prints one JSON object: {"reader": ARN, "stranger": ARN}.
"""

from __future__ import annotations

import json
import sys

import boto3

ACCOUNT_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
OIDC = "oidc.eks.us-east-1.amazonaws.com/id/MODELDEPLOYTEST"


def trust_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{OIDC}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ],
        }
    )


def read_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )


def main() -> None:
    endpoint, bucket, key, model_file = sys.argv[1:5]
    session = boto3.session.Session(region_name="us-east-1", **ACCOUNT_KEYS)
    s3 = session.client("s3", endpoint_url=endpoint)
    iam = session.client("iam", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    with open(model_file, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    reader = iam.create_role(RoleName="model-reader", AssumeRolePolicyDocument=trust_policy())
    iam.put_role_policy(
        RoleName="model-reader", PolicyName="read-models", PolicyDocument=read_policy(bucket)
    )
    stranger = iam.create_role(RoleName="no-access", AssumeRolePolicyDocument=trust_policy())
    print(json.dumps({"reader": reader["Role"]["Arn"], "stranger": stranger["Role"]["Arn"]}))


if __name__ == "__main__":
    main()
