"""S3 archive backend (AWS, MinIO, Scaleway, OVH…) through boto3, with Object Lock.

The bucket is created with `ObjectLockEnabledForBucket=True` (which also turns versioning on);
every object is written with `ObjectLockMode='COMPLIANCE'`, its retain-until date, a SHA-256
checksum the service verifies on receipt (`ChecksumAlgorithm` + `ChecksumSHA256`; S3 requires a
checksum or Content-MD5 for any put carrying a retention) and Liasse's metadata.

Retention state is read from `head_object` (`ObjectLockMode`, `ObjectLockRetainUntilDate`,
`ObjectLockLegalHoldStatus`), never from `GetObjectRetention`, which moto does not implement.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, FlexibleChecksumError
from dateutil.tz import tzlocal

from dossiers.archive.keys import check_key, check_metadata
from dossiers.archive.store import (
    COMPLIANCE,
    CorruptObject,
    ObjectInfo,
    ObjectLocked,
    ObjectMissing,
    StoredObject,
    StoreError,
    VersionRef,
)

_MISSING = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}
_LOCKED = {"AccessDenied", "ObjectLocked", "InvalidRequest"}


def make_client(
    *,
    endpoint_url: str | None,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    addressing_style: str = "path",
) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(s3={"addressing_style": addressing_style}, retries={"max_attempts": 3}),
    )


def _utc(moment: datetime | None) -> datetime | None:
    """S3 dates are UTC; some servers omit the `Z` and botocore then guesses local time."""
    if moment is None:
        return None
    if moment.tzinfo is None or isinstance(moment.tzinfo, tzlocal):
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class S3Archive:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        """`prefix` namespaces every key (several Liasse instances or test runs in one bucket)."""
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def ensure_bucket(self, region: str) -> None:
        """Create the bucket with Object Lock if missing; refuse a bucket without it.

        Object Lock turns versioning on for good, so only read calls are made on an existing
        bucket (a production key needs no bucket-configuration rights).
        """
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "ObjectLockEnabledForBucket": True}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self._call("create_bucket", **kwargs)
        try:
            config = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ObjectLockConfigurationNotFoundError":
                raise StoreError(f"Erreur S3 sur {self.bucket} : {exc}.",
                                 f"S3 error on {self.bucket}: {exc}.") from exc
            config = {}
        versioning = self._call("get_bucket_versioning", Bucket=self.bucket)
        locked = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        if not locked or versioning.get("Status") != "Enabled":
            raise StoreError(
                f"Le compartiment {self.bucket} n'a pas le verrouillage d'objets (Object Lock) "
                "et le versionnement activés.",
                f"Bucket {self.bucket} does not have Object Lock and versioning enabled.",
            )

    def _call(self, operation: str, key: str = "", version_id: str | None = None,
              **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _MISSING:
                raise ObjectMissing(key or self.bucket, version_id) from exc
            if operation == "delete_object" and code in _LOCKED:
                raise ObjectLocked(key, version_id or "?", code) from exc
            raise StoreError(
                f"Erreur S3 pendant {operation} sur {key or self.bucket} : {code}.",
                f"S3 error during {operation} on {key or self.bucket}: {code}.",
            ) from exc
        except BotoCoreError as exc:
            raise StoreError(
                f"S3 injoignable pendant {operation} : {exc}.",
                f"S3 unreachable during {operation}: {exc}.",
            ) from exc

    def _on_object(self, operation: str, key: str, version_id: str | None = None,
                   **kwargs: Any) -> Any:
        """Call an object operation with Bucket, Key (prefixed) and VersionId filled in."""
        if version_id:
            kwargs["VersionId"] = version_id
        return self._call(operation, key, version_id, Bucket=self.bucket, Key=self._key(key),
                          **kwargs)

    @staticmethod
    def _info(key: str, response: Mapping[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            version_id=response.get("VersionId", "null"),
            size=int(response.get("ContentLength", 0)),
            retain_until=_utc(response.get("ObjectLockRetainUntilDate")),
            lock_mode=response.get("ObjectLockMode"),
            legal_hold=response.get("ObjectLockLegalHoldStatus") == "ON",
            metadata=dict(response.get("Metadata", {})),
        )

    # --- ArchiveStore ----------------------------------------------------------------------
    def put(
        self, key: str, body: bytes, metadata: Mapping[str, str], retain_until: datetime
    ) -> str:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        response = self._on_object(
            "put_object", key, Body=body, Metadata=check_metadata(metadata),
            ObjectLockMode=COMPLIANCE, ObjectLockRetainUntilDate=retain_until,
            ChecksumAlgorithm="SHA256", ChecksumSHA256=digest,
        )
        version_id = response.get("VersionId")
        if not version_id:
            raise StoreError(
                f"Le compartiment {self.bucket} n'est pas versionné.",
                f"Bucket {self.bucket} is not versioned.",
            )
        return str(version_id)

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        return self._info(key, self._on_object("head_object", key, version_id))

    def get(self, key: str, version_id: str | None = None) -> StoredObject:
        response = self._on_object("get_object", key, version_id, ChecksumMode="ENABLED")
        try:
            body = response["Body"].read()  # botocore checks the stored SHA-256 while reading
        except FlexibleChecksumError as exc:
            raise CorruptObject(key, version_id, "S3 checksum mismatch") from exc
        return StoredObject(self._info(key, response), body)

    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> None:
        self._on_object("put_object_retention", key, version_id,
                        Retention={"Mode": COMPLIANCE, "RetainUntilDate": retain_until})

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        self._on_object("put_object_legal_hold", key, version_id,
                        LegalHold={"Status": "ON" if on else "OFF"})

    def delete(self, key: str, version_id: str) -> None:
        self._on_object("delete_object", key, version_id)

    def iter_versions(self, prefix: str = "") -> Iterator[VersionRef]:
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for version in page.get("Versions", []):
                key = version["Key"][len(self.prefix):]
                yield VersionRef(key, version["VersionId"], int(version["Size"]),
                                 bool(version["IsLatest"]))
