# Empty dependencies file for test_pypi_tags.
# This may be replaced when dependencies are built.
