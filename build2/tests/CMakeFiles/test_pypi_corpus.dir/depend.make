# Empty dependencies file for test_pypi_corpus.
# This may be replaced when dependencies are built.
