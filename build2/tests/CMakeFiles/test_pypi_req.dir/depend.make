# Empty dependencies file for test_pypi_req.
# This may be replaced when dependencies are built.
