"""Personal data in report files: include, pseudonymize (stable keyed hash) or drop."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl


def pseudonym(key: str, value: object) -> str | None:
    """The stable keyed pseudonym of a value (HMAC-SHA256, 20 hex digits): the same in report files and,
    under EDX_STORE_PII, in MongoDB, so that joins on it still work."""
    if value is None or value == "":
        return None
    digest = hmac.new(key.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:20]}"


PII_COLUMNS = ("username", "name", "first_name", "last_name", "email", "full_name")
# Personal, though no identifier: written unless personal data is dropped (a pseudonym of it would mean nothing).
PERSONAL_COLUMNS = ("email_opt_in",)
MODES = ("include", "pseudonymize", "drop")


@dataclass(frozen=True)
class PiiPolicy:
    mode: str = "include"
    key: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"EDX_REPORTS_PII must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.mode == "pseudonymize" and not self.key:
            raise ValueError("EDX_REPORTS_PII=pseudonymize needs a secret key in EDX_REPORTS_PSEUDONYM_KEY")

    @classmethod
    def for_reports(cls, mode: str, key: str | None, store_pii: str) -> PiiPolicy:
        """The report files' policy (EDX_REPORTS_PII) given what MongoDB holds (EDX_STORE_PII): where MongoDB
        already holds pseudonyms and no names or e-mails, hashing them again would break the joins with what
        is stored, so they are written as stored."""
        if mode == "pseudonymize" and store_pii != "keep":
            return cls("include")
        return cls(mode, key)

    def columns(self, columns: Iterable[str]) -> list[str]:
        """The report's columns under this policy (personal columns removed when dropping)."""
        return [c for c in columns if not (self.mode == "drop" and (c in PII_COLUMNS or c in PERSONAL_COLUMNS))]

    def pseudonym(self, value: object) -> str | None:
        return pseudonym(str(self.key), value)

    def apply(self, row: dict) -> dict:
        if self.mode == "include":
            return row
        if self.mode == "drop":
            for column in PERSONAL_COLUMNS:
                row.pop(column, None)
        for column in PII_COLUMNS:
            if column in row:
                if self.mode == "drop":
                    del row[column]
                else:
                    row[column] = self.pseudonym(row[column])
        return row

    def apply_frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`apply` for a whole frame: personal columns kept, pseudonymized or dropped."""
        present = [c for c in PII_COLUMNS if c in frame.columns]
        if self.mode == "drop":
            return frame.drop([*present, *(c for c in PERSONAL_COLUMNS if c in frame.columns)])
        if self.mode == "include" or not present:
            return frame
        return frame.with_columns([pl.col(c).cast(pl.String).map_elements(self.pseudonym, return_dtype=pl.String,
                                                                       skip_nulls=True) for c in present])
