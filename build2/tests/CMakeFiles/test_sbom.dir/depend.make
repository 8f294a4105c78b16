# Empty dependencies file for test_sbom.
# This may be replaced when dependencies are built.
