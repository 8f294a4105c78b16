# Empty compiler generated dependencies file for test_pypi_resolve.
# This may be replaced when dependencies are built.
