# Empty compiler generated dependencies file for test_provenance.
# This may be replaced when dependencies are built.
