# Empty dependencies file for test_cache_artifact.
# This may be replaced when dependencies are built.
