"""``serpens.errors.mask_url``: no password or secret survives, whatever its shape."""

from __future__ import annotations

import pytest

from serpens.errors import mask_url

SECRET = "S3cr3t"

# (input, expected): every shape a service's settings take, the secret always contains SECRET.
CASES = [
    # plain URLs
    ("postgresql://app:S3cr3t@db:5432/app", "postgresql://app:***@db:5432/app"),
    ("postgres://app:S3cr3t@db/app", "postgres://app:***@db/app"),
    ("redis://:S3cr3t@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("rediss://default:S3cr3t@[::1]:6380", "rediss://default:***@[::1]:6380"),
    ("amqp://u:S3cr3t@h", "amqp://u:***@h"),
    # passwords holding "@", "/", spaces, "?", "#", ":" (written unescaped)
    ("postgresql://app:S3cr3t@x@db:5432/app", "postgresql://app:***@db:5432/app"),
    ("postgresql://app:@S3cr3t@@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:S3/cr3t@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:S3cr3t/x/y@db.example.com/app", "postgresql://app:***@db.example.com/app"),
    ("postgresql://app:S3 cr3t@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:S3cr3t is long@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:S3?cr#3t@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:S3:cr3t@db:5432/app", "postgresql://app:***@db:5432/app"),
    ("postgresql://app:a@b/c d?e#S3cr3t@10.0.0.1:5432/x", "postgresql://app:***@10.0.0.1:5432/x"),
    # percent-encoded passwords
    ("postgresql://app:S3cr3t%40x%2F@db/app", "postgresql://app:***@db/app"),
    # secret query parameters, including libpq's sslpassword
    (
        "postgresql://db/app?sslmode=verify-full&sslpassword=S3cr3t",
        "postgresql://db/app?sslmode=verify-full&sslpassword=***",
    ),
    ("postgresql://db/app?password=S3cr3t&x=1", "postgresql://db/app?password=***&x=1"),
    (
        "https://api.example.com/v1?api_key=S3cr3t&client_secret=S3cr3t&q=1",
        "https://api.example.com/v1?api_key=***&client_secret=***&q=1",
    ),
    ("https://h/x?access_token=S3cr3t#frag", "https://h/x?access_token=***#frag"),
    ("https://h/x?PASSWORD=S3cr3t", "https://h/x?PASSWORD=***"),
    # signed URLs (S3 presigned, Azure SAS) and Google's API key: bearer credentials
    (
        "https://b.s3.amazonaws.com/o?X-Amz-Credential=S3cr3t&X-Amz-Signature=S3cr3t&v=1",
        "https://b.s3.amazonaws.com/o?X-Amz-Credential=***&X-Amz-Signature=***&v=1",
    ),
    (
        "https://a.blob.core.windows.net/c?sv=2024&sig=S3cr3t",
        "https://a.blob.core.windows.net/c?sv=2024&sig=***",
    ),
    ("https://maps.googleapis.com/x?key=S3cr3t&q=1", "https://maps.googleapis.com/x?key=***&q=1"),
    ("https://h/x?Signature=S3cr3t", "https://h/x?Signature=***"),
    # libpq keyword DSNs
    (
        "host=db port=5432 user=app password=S3cr3t dbname=app",
        "host=db port=5432 user=app password=*** dbname=app",
    ),
    ("password=S3cr3t host=db", "password=*** host=db"),
    ("host=db password='S3 cr3t' dbname=app", "host=db password=*** dbname=app"),
    (r"host=db password='S3\' cr3t@/x' dbname=app", "host=db password=*** dbname=app"),
    ("host=db password = S3cr3t dbname=app", "host=db password = *** dbname=app"),
    ("host=db sslpassword=S3cr3t sslkey=/k.pem", "host=db sslpassword=*** sslkey=/k.pem"),
    ("host=db\tpassword=S3cr3t", "host=db\tpassword=***"),
    # two URLs in one text, and three
    (
        "from postgres://u:S3cr3t@h/db to redis://:S3cr3t@r:6379",
        "from postgres://u:***@h/db to redis://:***@r:6379",
    ),
    (
        "a=postgres://u:S3cr3t@h/db b=redis://:S3cr3t@r:6379 c=amqp://q:S3cr3t@m/v",
        "a=postgres://u:***@h/db b=redis://:***@r:6379 c=amqp://q:***@m/v",
    ),
    # a text opening with "://", or with a scheme of one letter or after digits
    ("://x then postgres://u:S3cr3t@h/db", "://x then postgres://u:***@h/db"),
    ("x://u:S3cr3t@h", "x://u:***@h"),
    ("42redis://:S3cr3t@r:6379", "42redis://:***@r:6379"),
    ("url:redis://:S3cr3t@r", "url:redis://:***@r"),
    # a user name with capitals; an "@" after the host, in a query that is no host
    ("postgresql://Xavier:S3cr3t@db/app", "postgresql://Xavier:***@db/app"),
    ("postgresql://app:S3cr3t@db/app?to=a@b c", "postgresql://app:***@db/app?to=a@b c"),
    ("postgresql://app:S3cr3t@db/app?to=a@ b", "postgresql://app:***@db/app?to=a@ b"),
    # the userinfo ends at the last "@" followed by a host, the end of the text counting as
    # an empty one; with no host after any "@", at the last "@"
    ("postgresql://app:S3cr3t@db/x@", "postgresql://app:***@"),
    ("postgresql://app:S3cr3t@x@ host", "postgresql://app:***@ host"),
]

UNCHANGED = [
    "postgresql://app@db:5432/app",
    "postgresql://db:5432/app",
    "sqlite:///tmp/app.db",
    "sqlite://",
    "http://example.com/a:b@c",
    "https://example.com/?q=password",
    "host=db port=5432 dbname=app",
    "password authentication failed for user app",
    "https://example.com/?monkey=1&keys=2&signal=3",
    "postgresql://db/app?sslkey=/k.pem",
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_the_secret_is_masked(raw: str, expected: str) -> None:
    masked = mask_url(raw)
    assert masked == expected
    assert SECRET not in masked
    assert "cr3t" not in masked


@pytest.mark.parametrize("raw", UNCHANGED)
def test_text_without_secrets_is_left_alone(raw: str) -> None:
    assert mask_url(raw) == raw


def test_a_doubtful_at_sign_masks_too_much_rather_than_too_little() -> None:
    masked = mask_url("postgresql://app:S3cr3t@db/app?email=a@b.com")
    assert SECRET not in masked
    assert masked.startswith("postgresql://app:***@")


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://app:S3cr3t@db:notaport/app",
        "postgresql://app:S3cr3t@db host/app",
        "postgresql://app:S3cr3t@",
        "postgresql://app:S3cr3t@@",
    ],
)
def test_a_malformed_url_still_hides_its_password(raw: str) -> None:
    assert SECRET not in mask_url(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "https://api.example.com:443/users?email=a@b.com",
        "http://127.0.0.1:8080/x/y?to=ops@example.com&n=1",
        "http://h:80?who=a@b",
        "https://api.example.com:443/users?emails=a@b.com,c@d.com",
        "http://h:80/find?from=a@b.com?to=c@d.com",
    ],
)
def test_an_at_sign_in_the_query_after_a_port_is_no_password(raw: str) -> None:
    assert mask_url(raw) == raw


def test_a_numeric_password_before_a_path_like_part_is_still_masked() -> None:
    assert mask_url("postgresql://app:1234/S3cr3t@db/x") == "postgresql://app:***@db/x"
    assert mask_url("postgresql://app:1234@db:5432/x?email=a@b.com").startswith(
        "postgresql://app:***@"
    )
