"""The edX domain: formats, parsing, decryption, MongoDB loading, reports. No Dagster import here."""
