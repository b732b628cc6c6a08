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


def test_process_options_reach_every_connection_and_cli_flags_set_them() -> None:
    from exbert_ls.cli import build_parser
    from exbert_ls.store.storage import apply_storage_arguments, current_storage_options, set_storage_options

    before = current_storage_options()
    try:
        for command in (["index"], ["search", "x", "--token", "1", "--layer", "1"], ["heads"], ["verify"]):
            args = build_parser().parse_args(
                [*command, "--db", "s3://b/p", "--storage-option", "allow_http=true", "--storage-option", "a=b=c"]
            )
            set_storage_options({})
            apply_storage_arguments(args)
            assert storage_options("s3://b/p", env={}) == {"allow_http": "true", "a": "b=c"}, command
        assert storage_options("/local", env={}) == {}
    finally:
        set_storage_options(before)


def test_server_setting_storage_options_become_strings() -> None:
    from exbert_ls.errors import InvalidInputError
    from exbert_ls.server.config import settings_from

    settings = settings_from({"exbert": {"storageOptions": {"allow_http": True, "timeout": 30, "aws_region": "x"}}})
    assert settings.storage_options == {"allow_http": "true", "timeout": "30", "aws_region": "x"}
    with pytest.raises(InvalidInputError, match="storageOptions must be an object"):
        settings_from({"storageOptions": ["allow_http=true"]})
    with pytest.raises(InvalidInputError, match=r"storageOptions.nested must be a string, number or boolean"):
        settings_from({"storageOptions": {"nested": {"a": 1}}})
