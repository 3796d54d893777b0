"""The credential rule set (``credentials``), both ways: what holds a credential is refused as a
plain value with the fix, and what only names one (a key file's path, the Secrets to mount,
a provider class) is not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_flink.spec.errors import FlinkSpecError, Problem
from pulumi_flink.validation import check_cluster
from pulumi_flink.validation.credentials import is_credential_env, is_credential_option, option_credential
from tests.support.fuzz import fuzz_settings
from tests.support.rendering import make_spec

PEM_KEY = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"
SERVICE_ACCOUNT_JSON = (
    '{"type": "service_account", "project_id": "p", "private_key_id": "0a1b", '
    f'"private_key": "{PEM_KEY}", "client_email": "flink@p.iam.gserviceaccount.com"}}'
)

# (option, value): each holds a credential in plain text. Values of every type.
CREDENTIAL_OPTIONS: list[tuple[str, Any]] = [
    ("s3.access-key", "AKIAIOSFODNN7EXAMPLE"),
    ("s3.secret-key", 123456789),
    ("fs.s3a.secret.key", "wJalrXUtnFEMI"),
    ("fs.s3a.session.token", "FQoGZXIvYXdzEJr"),
    ("s3.session-token", 42.5),
    ("fs.s3a.encryption.key", "c2VjcmV0"),
    ("fs.azure.account.key.acct.blob.core.windows.net", "base64=="),
    ("fs.azure.sas.container.acct.blob.core.windows.net", "sv=2022-11-02&sig=abc"),
    ("fs.azure.sas.fixed.token", "sv=2022-11-02&sig=abc"),
    ("fs.azure.account.oauth2.client.secret", True),
    ("fs.gs.auth.service.account.private.key", "MIIEvQIBADANBgkqhkiG9w0B"),
    ("google.cloud.auth.service.account.private.key", 0),
    ("security.ssl.rest.keystore-password", "changeit"),
    ("security.ssl.internal.key-password", 123456),
    ("security.ssl.rest.truststore-password", False),
    ("metrics.reporter.influx.password", "p"),
    ("properties.sasl.jaas.config",
     'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";'),
    ("sasl.jaas.config", "ScramLoginModule required username=u PASSWORD = p;"),
    ("my.service.account", SERVICE_ACCOUNT_JSON),
    ("some.option", "-----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA"),
]

# (option, value): each only names a credential, or is no credential at all.
NOT_CREDENTIAL_OPTIONS: list[tuple[str, Any]] = [
    ("kubernetes.secrets", "s3-credentials:/opt/flink/secrets"),
    ("kubernetes.env.secretKeyRef", "env:DB_PASSWORD,secret:db,key:password"),
    ("security.ssl.rest.keystore", "/opt/flink/certs/keystore.jks"),
    ("security.ssl.rest.truststore", "/opt/flink/certs/truststore.jks"),
    ("security.ssl.rest.enabled", True),
    ("security.delegation.tokens.enabled", False),
    ("security.delegation.token.provider.hadoopfs.enabled", False),
    ("fs.s3a.delegation.token.binding", "org.apache.hadoop.fs.s3a.auth.delegation.SessionTokenBinding"),
    ("fs.s3a.aws.credentials.provider", "com.amazonaws.auth.EnvironmentVariableCredentialsProvider"),
    ("fs.gs.auth.service.account.json.keyfile", "/var/secrets/google/key.json"),
    ("google.cloud.auth.service.account.json.keyfile", "/var/secrets/google/key.json"),
    ("google.cloud.auth.service.account.private.key.id", "0a1b2c"),
    ("fs.azure.sas.token.provider.type", "com.example.SasTokenProvider"),
    ("fs.azure.account.keyprovider.acct.dfs.core.windows.net",
     "org.apache.hadoop.fs.azure.ShellDecryptionKeyProvider"),
    ("fs.azure.account.auth.type", "OAuth"),
    ("sasl.jaas.config", 'com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k";'),
    ("state.backend.type", "rocksdb"),
    ("pipeline.name", "token-bucket-limiter"),
    ("some.certificate", "-----BEGIN CERTIFICATE----- MIIDdzCCAl+gAwIBAgIE"),
]

CREDENTIAL_ENV = [
    "DB_PASSWORD", "db_password", "LDAP_PASSWD", "MYSQL_PWD", "DB_PASS", "GPG_PASSPHRASE", "API_KEY",
    "STRIPE_APIKEY", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "GITHUB_TOKEN",
    "AZURE_CLIENT_SECRET", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_SAS",
    "AZURE_STORAGE_CONNECTION_STRING", "GOOGLE_CREDENTIALS", "PASSWORD", "Kafka.Sasl.Password", "app-token",
]
NOT_CREDENTIAL_ENV = [
    "KEYSTORE_PATH", "GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE", "DB_PASSWORD_FILE",
    "KEY_PREFIX", "TOKEN_URL", "SECRET_NAME", "PASSWORD_POLICY", "ENABLE_BUILT_IN_PLUGINS", "TZ",
    "AWS_REGION", "KEYCLOAK_URL",
]


def secret_problems(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if "plain text" in p.message]


@pytest.mark.parametrize(("key", "value"), CREDENTIAL_OPTIONS, ids=[k for k, _ in CREDENTIAL_OPTIONS])
def test_an_option_holding_a_credential_is_refused_with_the_fix(key: str, value: Any) -> None:
    (problem,) = secret_problems(check_cluster(make_spec(flinkConfiguration={key: value})))
    assert problem.path == f"flinkConfiguration.{key}"
    assert "ConfigMap" in problem.message
    assert "Secret" in problem.fix


@pytest.mark.parametrize(("key", "value"), NOT_CREDENTIAL_OPTIONS, ids=[k for k, _ in NOT_CREDENTIAL_OPTIONS])
def test_an_option_that_only_names_a_credential_is_accepted(key: str, value: Any) -> None:
    assert option_credential(key, value) is None
    assert secret_problems(check_cluster(make_spec(flinkConfiguration={key: value}))) == []


def test_a_private_key_value_is_refused_with_a_key_file_fix() -> None:
    (problem,) = secret_problems(check_cluster(make_spec(flinkConfiguration={"my.key": PEM_KEY.strip()})))
    assert "private key" in problem.message
    assert "secret volume" in problem.fix


@pytest.mark.parametrize("name", CREDENTIAL_ENV)
def test_an_env_credential_given_as_a_plain_value_is_refused(name: str) -> None:
    env = [{"name": "TZ", "value": "UTC"}, {"name": name, "value": "x"}]
    (problem,) = secret_problems(check_cluster(make_spec(pod={"env": env})))
    assert problem.path == "pod.env[1].value"
    assert "secretKeyRef" in problem.fix
    by_reference = [{"name": name, "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]
    assert secret_problems(check_cluster(make_spec(pod={"env": by_reference}))) == []


@pytest.mark.parametrize("name", NOT_CREDENTIAL_ENV)
def test_an_env_that_is_no_credential_is_accepted(name: str) -> None:
    assert not is_credential_env(name)
    env = [{"name": name, "value": "/var/run/secrets/file.json"}]
    assert secret_problems(check_cluster(make_spec(pod={"env": env}))) == []


def test_a_private_key_in_any_env_value_is_refused() -> None:
    certificate = "-----BEGIN CERTIFICATE-----"
    env = [{"name": "TLS_PEM", "value": PEM_KEY}, {"name": "TLS_CERT", "value": certificate}]
    (problem,) = secret_problems(check_cluster(make_spec(pod={"env": env})))
    assert problem.path == "pod.env[0].value"
    assert "private key" in problem.message


@pytest.mark.parametrize(
    ("option", "refused"),
    [
        ("-Djavax.net.ssl.keyStorePassword=changeit", True),
        ("-Djavax.net.ssl.trustStorePassword=changeit", True),
        ("-Daws.secretAccessKey=abc", True),
        ("-Djavax.net.ssl.keyStore=/opt/flink/certs/keystore.jks", False),
        ("-XX:+ExitOnOutOfMemoryError", False),
        ("-Dlog4j2.formatMsgNoLookups=true", False),
    ],
)
def test_a_jvm_system_property_holding_a_credential_is_refused(option: str, refused: bool) -> None:
    problems = secret_problems(check_cluster(make_spec(jvmOptions=["-Xss1m", option])))
    assert [p.path for p in problems] == (["jvmOptions[1]"] if refused else [])


# --- properties ------------------------------------------------------------------------------

ANY_VALUE = st.one_of(
    st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
SECRET_WORDS = ["PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "KEY", "SAS", "CREDENTIALS", "ACCESS_KEY_ID"]
PATH_WORDS = ["PATH", "FILE", "DIR", "URL", "NAME", "PREFIX", "REGION", "ENABLED"]
ENV_PREFIX = st.from_regex(r"[A-Z][A-Z0-9]{0,7}(_[A-Z0-9]{1,6}){0,2}", fullmatch=True)


@fuzz_settings(60)
@given(option=st.sampled_from(CREDENTIAL_OPTIONS), value=ANY_VALUE)
def test_credential_options_are_refused_whatever_the_value(option: tuple[str, Any], value: Any) -> None:
    key, example = option
    if not is_credential_option(key):  # held by its value (JAAS, private key): keep that value
        value = example
    problems = secret_problems(check_cluster(make_spec(flinkConfiguration={key: value})))
    assert [p.path for p in problems] == [f"flinkConfiguration.{key}"]


@fuzz_settings(80)
@given(data=st.data(), prefix=ENV_PREFIX, value=ANY_VALUE)
def test_env_names_are_credentials_by_their_last_word(data: st.DataObject, prefix: str, value: Any) -> None:
    secret = data.draw(st.booleans())
    word = data.draw(st.sampled_from(SECRET_WORDS if secret else PATH_WORDS))
    lower = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    name = f"{prefix}_" + "".join(c.lower() if low else c for c, low in zip(word, lower, strict=True))
    if not isinstance(value, str):
        # Kubernetes takes only strings as env values: refused by type, credential or not.
        with pytest.raises(FlinkSpecError) as refused:
            make_spec(pod={"env": [{"name": name, "value": value}]})
        assert refused.value.paths == ["pod.env[0].value"]
        return
    problems = secret_problems(check_cluster(make_spec(pod={"env": [{"name": name, "value": value}]})))
    assert [p.path for p in problems] == (["pod.env[0].value"] if secret else [])


@fuzz_settings(60)
@given(
    before=st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t),
    kind=st.sampled_from(["", "RSA ", "EC ", "ENCRYPTED ", "OPENSSH ", "DSA "]),
    after=st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t),
    where=st.sampled_from(["flinkConfiguration", "env"]),
)
def test_a_private_key_is_refused_wherever_it_hides(before: str, kind: str, after: str, where: str) -> None:
    value = f"{before}-----BEGIN {kind}PRIVATE KEY-----{after}"
    if where == "env":
        spec = make_spec(pod={"env": [{"name": "PAYLOAD", "value": value}]})
        expected = "pod.env[0].value"
    else:
        spec = make_spec(flinkConfiguration={"user.payload": value})
        expected = "flinkConfiguration.user.payload"
    assert [p.path for p in secret_problems(check_cluster(spec))] == [expected]
