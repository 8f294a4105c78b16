# Empty dependencies file for test_pypi_wheel.
# This may be replaced when dependencies are built.
