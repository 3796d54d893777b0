"""What counts as a credential in a spec: the one rule set the plain-secret checks use.

A credential given as a plain value would sit in plain text in a ConfigMap (a Flink option,
a JVM system property) or in a pod spec (an env value), readable by anyone who can read
them. These rules say which option keys, env names and values hold one; settings that name
a credential without holding it (a path to a key file, the Secrets ``kubernetes.secrets``
mounts, a provider class, an ``.enabled`` switch) are not credentials.
"""

from __future__ import annotations

import re

from pulumi_flink.model.text import whole_string

# A word of a dotted or dashed Flink option key (``s3.secret-key``, ``fs.s3a.session.token``).
_SEP = r"(?:^|[-._])"
_END = r"(?:\Z|[-._])"

# Options whose value is a credential, by what their key says.
_CREDENTIAL_OPTION = re.compile(
    "|".join(
        (
            rf"{_SEP}(?:password|passwd|pwd|passphrase){_END}",  # security.ssl.*.password, proxy passwords
            rf"{_SEP}secret{_END}",  # s3.secret-key, fs.s3a.secret.key, oauth2 client secrets
            rf"{_SEP}access[-._]?key{_END}",  # s3.access-key, fs.s3a.access.key
            rf"{_SEP}account\.key{_END}",  # fs.azure.account.key.<account>
            rf"{_SEP}(?:private|encryption)[-._]?key\Z",  # gs service-account key, s3a SSE-C key
            rf"{_SEP}sas{_END}",  # fs.azure.sas.<container>.<account>, fs.azure.sas.fixed.token
            r"token\Z",  # fs.s3a.session.token, s3.session-token, auth tokens
        )
    ),
    re.IGNORECASE,
)
# Keys that match a word above but hold no credential: what they end with says so.
_REFERENCE_OPTION = re.compile(
    r"[-._](?:type|class|provider|enabled|binding|path|file|keyfile|dir|location|keystore|truststore)\Z",
    re.IGNORECASE,
)
# Named outright: they name credentials kept elsewhere.
NOT_CREDENTIAL_OPTIONS = frozenset(
    {
        "kubernetes.secrets",  # Secrets Flink's native mode mounts: 'name:/path'
        "kubernetes.env.secretKeyRef",  # env from Secrets, by reference
    }
)
# A JAAS configuration (Kafka's sasl.jaas.config, and any *.jaas.config) holds the password inline.
_JAAS_OPTION = re.compile(r"(?:^|\.)jaas\.config\Z", re.IGNORECASE)
_JAAS_PASSWORD = re.compile(r"password\s*=", re.IGNORECASE)
# A PEM private key (PKCS#1, PKCS#8, EC, OpenSSH, encrypted) anywhere in a value, as a GCS
# service-account key file's JSON carries one.
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")

# Env names that hold a credential: the last word says so (DB_PASSWORD, AWS_SESSION_TOKEN,
# AWS_SECRET_ACCESS_KEY, and its pair AWS_ACCESS_KEY_ID), case-insensitively. KEYSTORE_PATH
# or DB_PASSWORD_FILE hold paths.
_CREDENTIAL_ENV = whole_string(
    r"(?:.*[-._])?(?:PASSWORD|PASSWD|PWD|PASS|PASSPHRASE|SECRET|TOKEN|KEY|APIKEY|SAS|CREDENTIALS?"
    r"|CONNECTION[-._]STRING|ACCESS[-._]KEY[-._]ID)",
    re.IGNORECASE,
)
# Env names that match the rule above but by convention hold a path to a credentials file.
NOT_CREDENTIAL_ENV = frozenset({"GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE"})

# A JVM system property set on the command line: -Dname=value.
_SYSTEM_PROPERTY = whole_string(r"-D([^=]+)=(.*)", re.DOTALL)


def is_credential_option(key: str) -> bool:
    """Whether the Flink option ``key`` (or a JVM system property's name) holds a credential."""
    if key in NOT_CREDENTIAL_OPTIONS or _REFERENCE_OPTION.search(key):
        return False
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", ".", key)  # keyStorePassword: key.Store.Password
    return bool(_CREDENTIAL_OPTION.search(key) or _CREDENTIAL_OPTION.search(words))


def is_credential_env(name: str) -> bool:
    """Whether an environment variable called ``name`` holds a credential."""
    return name.upper() not in NOT_CREDENTIAL_ENV and _CREDENTIAL_ENV(name) is not None


def holds_private_key(value: object) -> bool:
    """Whether ``value`` carries a PEM private key."""
    return isinstance(value, str) and _PRIVATE_KEY.search(value) is not None


def option_credential(key: str, value: object) -> str | None:
    """What credential the option ``key: value`` holds in plain text, or None.

    The value's type does not matter: a numeric password is a password."""
    if is_credential_option(key):
        return "a credential"
    if _JAAS_OPTION.search(key) and _JAAS_PASSWORD.search(str(value)):
        return "a password in its JAAS configuration"
    if holds_private_key(value):
        return "a private key"
    return None


def jvm_option_credential(option: str) -> str | None:
    """What credential a JVM option holds in plain text (``-Djavax.net.ssl.keyStorePassword=...``)."""
    match = _SYSTEM_PROPERTY(option)
    if match:
        return option_credential(match[1], match[2])
    return "a private key" if holds_private_key(option) else None
