"""Storage options for object-store URIs (no S3 server needed)."""

import pytest

from exbert_ls.store.storage import StorageOptionError, parse_options, storage_options


def test_local_path_gets_no_options() -> None:
    assert storage_options("/tmp/index", {"a": "b"}, env={"EXBERT_S3_ENDPOINT": "http://x"}) == {}


def test_endpoint_env_sets_endpoint_and_http() -> None:
    opts = storage_options("s3://b/p", env={"EXBERT_S3_ENDPOINT": "http://127.0.0.1:9000"})
    assert opts == {"aws_endpoint": "http://127.0.0.1:9000", "allow_http": "true"}
    https = storage_options("s3://b/p", env={"EXBERT_S3_ENDPOINT": "https://s3.example"})
    assert https == {"aws_endpoint": "https://s3.example"}


def test_explicit_options_win_over_environment() -> None:
    given = parse_options(["allow_http=false", "aws_region=eu-west-1"])
    opts = storage_options("s3://b/p", given, env={"EXBERT_S3_ENDPOINT": "http://h"})
    assert opts == {"aws_endpoint": "http://h", "allow_http": "false", "aws_region": "eu-west-1"}


def test_malformed_option_is_refused() -> None:
    with pytest.raises(StorageOptionError, match="not key=value"):
        parse_options(["allow_http"])
