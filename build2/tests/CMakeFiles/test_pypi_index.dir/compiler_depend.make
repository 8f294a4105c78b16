# Empty compiler generated dependencies file for test_pypi_index.
# This may be replaced when dependencies are built.
