"""The S3 resource builds its client once per process and configuration (no service: building a client
opens no connection)."""

from edx_assets.defs.resources import CachedS3Resource


def test_one_client_per_configuration_and_a_new_one_for_another():
    local = CachedS3Resource(endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
    same = CachedS3Resource(endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
    other = CachedS3Resource(endpoint_url="http://127.0.0.1:10", region_name="us-east-1")
    assert local.get_client() is local.get_client() is same.get_client()
    assert other.get_client() is not local.get_client()
    assert other.get_client().meta.endpoint_url == "http://127.0.0.1:10"
