# Empty compiler generated dependencies file for test_pypi_pep440.
# This may be replaced when dependencies are built.
